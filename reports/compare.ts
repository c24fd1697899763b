/**
 * Comparing two runs of the same scenario: per phase and op, p95/p99 latency
 * and pool-wait p95, each judged with a relative tolerance *and* an absolute
 * noise floor (a change is a regression only when it exceeds both: 0.4 → 0.9
 * ms is +125% and nothing a user feels). Runs that cannot be compared are
 * refused with the reasons (the CLI exits 2).
 */
import { measuredPhases, type RunReport } from "./schema.ts";

export interface CompareOptions {
  /** Relative tolerance in percent. */
  tolerancePct: number;
  /** Absolute noise floor in ms. */
  floorMs: number;
  /** The run-to-run noise measured on the accepted baselines (percent), when above the tolerance: changes
   * within it are reported as noise, not regressions. */
  noisePct?: number;
}

export const DEFAULT_COMPARE: CompareOptions = { tolerancePct: 20, floorMs: 5 };

export interface ComparisonRow {
  phase: string;
  op: string;
  metric: "latency p95" | "latency p99" | "pool wait p95";
  baseMs: number;
  newMs: number;
  deltaMs: number;
  /** null when the base is 0. */
  deltaPct: number | null;
  regression: boolean;
  /** Beyond the tolerance but within the measured noise: said, not failed. */
  withinNoise: boolean;
}

export interface Comparison {
  baseScenario: string;
  baseStartedAt: string;
  options: CompareOptions;
  rows: ComparisonRow[];
  regressions: ComparisonRow[];
  /** Op × phase pairs one run has and the other does not (reported, never a regression). */
  unmatched: string[];
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

export function compareReports(base: RunReport, next: RunReport, options: CompareOptions): Comparison {
  const rows: ComparisonRow[] = [];
  const unmatched: string[] = [];
  const key = (o: { op: string; phase: string }) => `${o.phase}\u0000${o.op}`;
  // Warm-up phases are not measured (a cold start is expected to be slow): not compared either.
  const measured = measuredPhases(next);
  const baseOps = new Map(base.ops.filter((o) => measured.has(o.phase)).map((o) => [key(o), o]));
  for (const o of next.ops.filter((op) => measured.has(op.phase))) {
    const b = baseOps.get(key(o));
    baseOps.delete(key(o));
    if (!b) {
      unmatched.push(`${o.op} in ${o.phase}: only in the new run`);
      continue;
    }
    const judge = (metric: ComparisonRow["metric"], baseMs: number, newMs: number) => {
      const deltaMs = round(newMs - baseMs);
      const deltaPct = baseMs > 0 ? round(((newMs - baseMs) / baseMs) * 100) : null;
      const beyond = (pct: number) => deltaMs > options.floorMs && (deltaPct === null || deltaPct > pct);
      const regression = beyond(Math.max(options.tolerancePct, options.noisePct ?? 0));
      const withinNoise = !regression && beyond(options.tolerancePct);
      rows.push({ phase: o.phase, op: o.op, metric, baseMs, newMs, deltaMs, deltaPct, regression, withinNoise });
    };
    judge("latency p95", b.latencyMs.p95, o.latencyMs.p95);
    judge("latency p99", b.latencyMs.p99, o.latencyMs.p99);
    judge("pool wait p95", b.poolWaitMs.p95, o.poolWaitMs.p95);
  }
  for (const b of baseOps.values()) unmatched.push(`${b.op} in ${b.phase}: only in the base run`);
  return {
    baseScenario: base.scenario,
    baseStartedAt: base.startedAt,
    options,
    rows,
    regressions: rows.filter((r) => r.regression),
    unmatched,
  };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
