/** Number and delta formatting the console summary and the renderers share, so they read the same. */
import type { AppInstanceReport, RunReport, ThresholdRow } from "../schema.ts";

/** "+12.3" / "-4": one decimal, sign always shown. */
export const signed = (n: number): string => `${n >= 0 ? "+" : ""}${Number(n.toFixed(1))}`;

/** "0.4 ms", "37 ms", "1.8 s", "12 s". */
export function fmtMs(ms: number): string {
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(ms >= 10_000 ? 0 : 1))} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${Number(ms.toFixed(1))} ms`;
}

/** One app instance's life in words: "ready 0.3 s after start; stopped at 16.3 s (SIGTERM)", or its crash. */
export function appInstanceText(i: AppInstanceReport): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const ready = i.readyMs === null ? "never ready" : `ready at ${s(i.readyMs)}`;
  if (i.exitedMs === null) return `${ready}; ran to the end`;
  const how = i.signal ? i.signal : `exit ${i.exitCode}`;
  return i.crashed
    ? `${ready}; CRASHED at ${s(i.exitedMs)} (${how})`
    : `${ready}; stopped at ${s(i.exitedMs)} (${how})`;
}

/** A rate as measured, never rounded to nothing: "1.3%", "0.071%", "0%". */
export function fmtPct(ratio: number): string {
  if (ratio === 0) return "0%";
  const pct = ratio * 100;
  return pct >= 1 ? `${Number(pct.toFixed(1))}%` : `${Number(pct.toPrecision(2))}%`;
}

/** "12.5 s" on the report's clock. */
const atS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

type Evidence = Pick<
  ThresholdRow,
  "actual" | "expression" | "note" | "source" | "op" | "samples" | "events" | "window"
>;

/** The value a threshold was decided on, with what it is over: "0.071% (1 of 1400)", "588.2 ms". */
function decidedOn(t: Evidence): string {
  if (t.note) return t.note;
  if (/^\s*rate/.test(t.expression) && t.samples !== undefined) {
    return `${fmtPct(t.actual)}${t.events !== undefined ? ` (${t.events} of ${t.samples})` : ""}`;
  }
  return String(t.actual);
}

/** Where the verdict came from: the op, and the window when the worst window decided it. */
function decidedWhere(t: Evidence): string {
  const parts: string[] = [];
  if (t.op) parts.push(`on ${t.op}`);
  const worst = t.window?.worst;
  if (worst && Math.abs(worst.actual - t.actual) < 1e-9) {
    parts.push(`in its worst ${t.window?.sizeS} s window, ${atS(worst.fromMs)}–${atS(worst.toMs)}`);
  }
  if (t.window && t.window.notJudged > 0) {
    parts.push(`${t.window.notJudged} of ${t.window.judged + t.window.notJudged} windows too thin to judge`);
  }
  return parts.length > 0 ? ` ${parts.join(", ")}` : "";
}

/** What a threshold saw: "actual 588.2 on search, in its worst 10 s window, 30.0–40.0 s", "no completed
 * iteration"; "default budget" when rehearse added it. */
export function thresholdEvidence(t: Evidence): string {
  const seen = t.note ? t.note : `actual ${decidedOn(t)}`;
  const text = `${seen}${decidedWhere(t)}`;
  return t.source === "default" ? `${text}; default budget` : text;
}

/** The actual-value cell of a threshold table: the number (and where it was), or why there is none;
 * "(default)" marks rehearse's budget. */
export function thresholdCell(t: Evidence): string {
  return `${decidedOn(t)}${decidedWhere(t)}${t.source === "default" ? " (default)" : ""}`;
}

/** Thresholds to list one by one (every failed one, and the scenario's own), and how many of rehearse's
 * default budgets held besides (said in one line: there is one per op and phase). */
export function thresholdsToList(thresholds: ThresholdRow[]): { listed: ThresholdRow[]; defaultsHeld: number } {
  const listed = thresholds.filter((t) => !t.ok || t.source !== "default");
  return { listed, defaultsHeld: thresholds.length - listed.length };
}

export const DEFAULTS_HELD = (n: number) =>
  `${n} default budget${n === 1 ? "" : "s"} held (errors < 1% per op and measured phase; p95 < 300 ms per user-facing op after the baseline)`;

type WorkerRow = NonNullable<RunReport["generator"]["workers"]>[number];

/** One load worker's health (`--workers`), in words: "valid, 87.7/87.5 it/s, dispatch lag p99 1.3 ms, event-loop
 * delay p99 2 ms". */
export function workerText(w: WorkerRow): string {
  const verdict = w.valid ? "valid" : `INVALID: ${w.reasons.join("; ")}`;
  return `${verdict}, ${w.achievedRate.toFixed(1)}/${w.targetRate.toFixed(1)} it/s, dispatch lag p99 ${w.dispatchLagP99Ms} ms, event-loop delay p99 ${w.eventLoopDelayP99Ms} ms`;
}
