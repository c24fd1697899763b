/**
 * A comparison of runs of the same scenario, as comparison.json, the console, Markdown, HTML and JUnit give it:
 * per measured phase and op, p50/p95/p99 latency, pool-wait p95 and error rate, each with its 95% interval
 * from the runs' own histograms, and a verdict that only calls a change a regression (or an improvement) when
 * the intervals are apart by more than the tolerance, the floor and the run-to-run noise. The engine computes
 * it (`harness/compare/`); runs that cannot be compared are refused with the reasons (the CLI exits 2).
 */
import { measuredPhases, type RunReport } from "./schema.ts";

export interface CompareOptions {
  /** Relative tolerance in percent, of the base's upper bound. */
  tolerancePct: number;
  /** Absolute floor in ms (latency, pool wait); error rates use RATE_FLOOR. */
  floorMs: number;
}

export const DEFAULT_COMPARE: CompareOptions = { tolerancePct: 20, floorMs: 5 };
/** Error rates: a change smaller than 0.1 percentage point is never a regression. */
export const RATE_FLOOR_PCT = 0.1;

export type CompareMetric = "latency p50" | "latency p95" | "latency p99" | "pool wait p95" | "error rate";
export type RowVerdict = "regression" | "improvement" | "within noise" | "not judged" | "disturbed";

export interface ComparisonRow {
  phase: string;
  op: string;
  metric: CompareMetric;
  /** `ms` for latency and pool wait; `%` for error rate (then baseMs/newMs/deltaMs hold percent). */
  unit: "ms" | "%";
  baseMs: number;
  newMs: number;
  deltaMs: number;
  /** null when the base is 0. */
  deltaPct: number | null;
  /** 95% intervals ([low, high], the row's unit); null when too few samples to judge. */
  baseInterval: [number, number] | null;
  newInterval: [number, number] | null;
  baseSamples: number;
  newSamples: number;
  /** The widest spread of this value between the runs of a side, or between the halves of one run; null when
   * neither could be measured (one run a side, from reports without halves). */
  noise: number | null;
  verdict: RowVerdict;
  regression: boolean;
  /** Moved by more than the tolerance, but its intervals and the noise do not say it is real. */
  withinNoise: boolean;
  /** Why it was not judged, or what disturbed it. */
  note?: string;
}

export interface NoiseSummary {
  /** Runs whose spread was measured, base side and new side. */
  baseRuns: number;
  newRuns: number;
  /** Some spread was measured within runs (between a run's halves), not only between runs. */
  withinRuns?: true;
  /** Some run's phase was disturbed and left out of its side (which had undisturbed runs of it): the noise is
   * the other runs'. */
  leftOut?: true;
  /** The widest spread per op (over its compared values), in its unit and in percent of the lowest. */
  perOp: { op: string; metric: CompareMetric; spread: number; spreadPct: number | null }[];
}

export interface Comparison {
  baseScenario: string;
  baseStartedAt: string;
  options: CompareOptions;
  baseRuns: number;
  newRuns: number;
  /** Null when it could not be measured (one run a side, from reports without halves): judged by the intervals
   * alone. */
  noise: NoiseSummary | null;
  rows: ComparisonRow[];
  regressions: ComparisonRow[];
  improvements: ComparisonRow[];
  /** Phases a run was disturbed in (other programs busy on its host), each said once. */
  disturbed: string[];
  /** Op × phase pairs one side has and the other does not (reported, never a regression). */
  unmatched: string[];
  /** "2 regressions, 1 improvement, 40 within noise, 3 not judged in 46 checks". */
  summary: string;
}

/** What was seeded, without how long it took (which differs on every run). */
function seededShape(seed: RunReport["seed"]): RunReport["seed"] {
  if (seed === null) return null;
  const { seconds: _seconds, checkpointed: _checkpointed, ...shape } = seed;
  return shape;
}

/** Why the two runs cannot be compared; empty when they can. */
export function incompatibilities(base: RunReport, next: RunReport): string[] {
  const problems: string[] = [];
  if (base.schemaVersion !== next.schemaVersion)
    problems.push(`schemaVersion: ${base.schemaVersion} vs ${next.schemaVersion}`);
  if (base.scenario !== next.scenario)
    problems.push(`scenario: '${base.scenario}' vs '${next.scenario}' (compare runs of the same scenario)`);
  for (const [name, report] of [
    ["base", base],
    ["new", next],
  ] as const) {
    if (report.status === "aborted") problems.push(`${name} run was aborted: its numbers cover part of the run`);
  }
  const same = (label: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b))
      problems.push(`${label} differ: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  };
  same("PgBouncer settings", base.settings.pgbouncer, next.settings.pgbouncer);
  same("Redis settings", base.settings.redis, next.settings.redis);
  same("client pool size", base.client?.poolSize, next.client?.poolSize);
  same("seed", seededShape(base.seed), seededShape(next.seed));
  same(
    "phases",
    base.phases.map((p) => p.name),
    next.phases.map((p) => p.name),
  );
  return problems;
}

/** The phases a comparison judges: the baseline and after it (warm-up is slow by design). */
export function comparedPhases(report: RunReport): Set<string> {
  return measuredPhases(report);
}

export function summaryOf(rows: ComparisonRow[]): string {
  const count = (v: RowVerdict) => rows.filter((r) => r.verdict === v).length;
  const parts = [
    `${count("regression")} regression(s)`,
    `${count("improvement")} improvement(s)`,
    `${count("within noise")} within noise`,
    `${count("not judged")} not judged`,
    ...(count("disturbed") > 0 ? [`${count("disturbed")} disturbed`] : []),
  ];
  return `${parts.join(", ")} in ${rows.length} checks`;
}
