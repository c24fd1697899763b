/**
 * How a scenario's budgets are judged, planned once before anything starts:
 * - rehearse's own metrics (`latency`, `pool_wait`, `service_time`, `errors`)
 *   hold per op: a budget that names no op is judged on each op by itself
 *   (each user-facing op for the trends, every op for errors), so a slow
 *   endpoint is not averaged away by fast ones. k6's metrics
 *   (`http_req_duration`, `http_req_failed`, `checks`...) keep k6's merged meaning.
 * - in a phase after the baseline (a fault), latency and error budgets hold over
 *   the whole phase and on every rolling window (default 10 s, `window` per
 *   threshold), so a verdict does not depend on how long the phase is.
 * - the launch-readiness bar is added as budgets of its own (`source:
 *   "default"`) for every op and measured phase that no threshold names by its
 *   op: errors < 1% per op and measured phase; p95 < 300 ms per user-facing op
 *   in the phases after the baseline (background ops — job, worker, cron,
 *   queue, batch — are judged on errors only). A budget that names no op does
 *   not switch them off; one with the very same expression and phase makes
 *   them redundant, and they are left out.
 */
import { isBackgroundOp } from "../../reports/schema.ts";
import type { PhaseSpan } from "../runner/run-load.ts";
import { type ParsedThreshold, parseThresholds } from "../thresholds/parse.ts";
import { DEFAULT_WINDOW_MS } from "../thresholds/windows.ts";

export const LAUNCH_READINESS = { p95: "p(95)<300", errors: "rate<0.01" } as const;

/** Metrics measured per op by rehearse: judged on each op when a budget names none. */
const PER_OP_TRENDS = new Set(["latency", "pool_wait", "service_time"]);

export interface BudgetInput {
  /** The scenario's own thresholds, parsed. */
  thresholds: ParsedThreshold[];
  phases: PhaseSpan[];
  baseline: string;
  /** Ops some executor runs. */
  ops: string[];
}

/** The phases after the baseline: faults and what follows them. */
function afterBaseline(phases: PhaseSpan[], baseline: string): string[] {
  const at = phases.findIndex((p) => p.name === baseline);
  return phases.slice(Math.max(0, at) + 1).map((p) => p.name);
}

/** The scenario's budgets and (unless told not to: a capacity step's budgets replace them) the defaults,
 * each with the ops it is judged on and its window. */
export function judgedThresholds(
  input: BudgetInput,
  options: { defaults: boolean } = { defaults: true },
): ParsedThreshold[] {
  const faults = new Set(afterBaseline(input.phases, input.baseline));
  const userFacing = input.ops.filter((o) => !isBackgroundOp(o));
  const plan = (t: ParsedThreshold): ParsedThreshold => {
    const perOp =
      t.tags.op !== undefined
        ? undefined
        : PER_OP_TRENDS.has(t.metric)
          ? userFacing
          : t.metric === "errors"
            ? input.ops
            : undefined;
    const windowed = t.tags.phase !== undefined && faults.has(t.tags.phase);
    return {
      ...t,
      ...(perOp && { perOp }),
      judgeWindowMs: windowed ? (t.windowMs ?? DEFAULT_WINDOW_MS) : 0,
    };
  };
  return [...input.thresholds, ...(options.defaults ? defaultBudgets(input) : [])].map(plan);
}

/** The launch-readiness budgets for what no threshold of the scenario covers by its op. */
export function defaultBudgets(input: BudgetInput): ParsedThreshold[] {
  const from = Math.max(
    0,
    input.phases.findIndex((p) => p.name === input.baseline),
  );
  const measured = input.phases.slice(from).map((p) => p.name);
  const covered = (metric: string, op: string, phase: string, expression: string) =>
    input.thresholds.some(
      (t) =>
        t.metric === metric &&
        (t.tags.op === op
          ? t.tags.phase === undefined || t.tags.phase === phase
          : t.tags.op === undefined && t.tags.phase === phase && t.expression === expression),
    );
  const keys: Record<string, string[]> = {};
  for (const phase of measured)
    for (const op of input.ops)
      if (!covered("errors", op, phase, LAUNCH_READINESS.errors))
        keys[`errors{op:${op},phase:${phase}}`] = [LAUNCH_READINESS.errors];
  for (const phase of measured.slice(1))
    for (const op of input.ops.filter((o) => !isBackgroundOp(o)))
      if (!covered("latency", op, phase, LAUNCH_READINESS.p95))
        keys[`latency{op:${op},phase:${phase}}`] = [LAUNCH_READINESS.p95];
  const parsed = parseThresholds(keys, { ops: input.ops, phases: measured });
  return parsed.thresholds.map((t) => ({ ...t, source: "default" }));
}
