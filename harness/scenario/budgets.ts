/**
 * What users feel decides a verdict, not only the baseline. When a scenario
 * states no budget, rehearse adds the launch-readiness bar as thresholds like
 * any other (marked `source: "default"`):
 * - an error budget for every run: errors < 1% per op and measured phase,
 *   unless the scenario has an `errors` threshold of its own;
 * - for each phase after the baseline that no threshold names: p95 < 300 ms
 *   on every user-facing op (background ops — job, worker, cron, queue,
 *   batch — are judged on errors only).
 */
import { isBackgroundOp } from "../../reports/schema.ts";
import type { PhaseSpan } from "../runner/run-load.ts";
import { type ParsedThreshold, parseThresholds } from "../thresholds/parse.ts";

export const LAUNCH_READINESS = { p95: "p(95)<300", errors: "rate<0.01" } as const;

export function defaultBudgets(input: {
  thresholds: ParsedThreshold[];
  phases: PhaseSpan[];
  baseline: string;
  /** Ops some executor runs. */
  ops: string[];
}): ParsedThreshold[] {
  const from = Math.max(
    0,
    input.phases.findIndex((p) => p.name === input.baseline),
  );
  const measured = input.phases.slice(from).map((p) => p.name);
  const named = new Set(input.thresholds.map((t) => t.tags.phase).filter((p) => p !== undefined));
  const keys: Record<string, string[]> = {};
  if (!input.thresholds.some((t) => t.metric === "errors")) {
    for (const phase of measured)
      for (const op of input.ops) keys[`errors{op:${op},phase:${phase}}`] = [LAUNCH_READINESS.errors];
  }
  for (const phase of measured.slice(1).filter((p) => !named.has(p))) {
    for (const op of input.ops.filter((o) => !isBackgroundOp(o)))
      keys[`latency{op:${op},phase:${phase}}`] = [LAUNCH_READINESS.p95];
  }
  const parsed = parseThresholds(keys, { ops: input.ops, phases: measured });
  return parsed.thresholds.map((t) => ({ ...t, source: "default" }));
}
