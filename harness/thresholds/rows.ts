/** Threshold verdicts as report.json keeps them: windows on the report's clock, nothing undefined. */
import type { ThresholdOpRow, ThresholdRow, ThresholdWindow } from "../../reports/schema.ts";
import type { OpVerdict, ThresholdResult } from "./evaluate.ts";
import type { WindowVerdict } from "./windows.ts";

/** `loadStartMs`: where second 0 of the load's clock is on the report's clock. */
function windowRow(w: WindowVerdict, loadStartMs: number): ThresholdWindow {
  return {
    sizeS: w.sizeS,
    judged: w.judged,
    notJudged: w.notJudged,
    ...(w.worst && {
      worst: {
        fromMs: loadStartMs + w.worst.fromS * 1000,
        toMs: loadStartMs + w.worst.toS * 1000,
        actual: Math.round(w.worst.actual * 1e6) / 1e6,
        samples: w.worst.samples,
        ok: w.worst.ok,
      },
    }),
  };
}

function opRow(v: OpVerdict, loadStartMs: number): ThresholdOpRow {
  return {
    op: v.op,
    ok: v.ok,
    actual: v.actual,
    samples: v.samples,
    ...(v.events !== undefined && { events: v.events }),
    ...(v.window && { window: windowRow(v.window, loadStartMs) }),
    ...(v.note && { note: v.note }),
    ...(v.lagMayDecide && { lagMayDecide: true as const }),
  };
}

export function thresholdRows(results: ThresholdResult[], loadStartMs: number): ThresholdRow[] {
  return results.map((t) => ({
    metric: t.metric,
    expression: t.expression,
    ok: t.ok,
    actual: t.actual,
    ...(t.op && { op: t.op }),
    ...(t.ops && { ops: t.ops.map((v) => opRow(v, loadStartMs)) }),
    samples: t.samples,
    ...(t.events !== undefined && { events: t.events }),
    ...(t.window && { window: windowRow(t.window, loadStartMs) }),
    ...(t.note && { note: t.note }),
    ...(t.source && { source: t.source }),
    ...(t.lagMayDecide && { lagMayDecide: true as const }),
  }));
}
