/**
 * The engine's side of report.json: per-op entries from the metrics store,
 * the run's status, and the report of a run stopped before its load. The
 * shape is reports/schema.ts; this module fills it.
 */
import type { ProviderName } from "../../containers/types.ts";
import { type OpReport, type Quantiles, type RunReport, type RunStatus, SCHEMA_VERSION } from "../../reports/schema.ts";
import type { ErrorClass } from "../clients/classify-error.ts";
import { encodeHistogram, mergeHistograms, percentilesMs } from "../metrics/histogram.ts";
import { type Series, TRENDS, type Trend } from "../metrics/store.ts";
import type { GeneratorHealth } from "../runner/generator-health.ts";
import type { ThresholdResult } from "../thresholds/evaluate.ts";

const quantiles = (series: Series[], trend: Trend): Quantiles => {
  const p = percentilesMs(mergeHistograms(series.map((s) => s.trends[trend])));
  return { p50: p.p50, p95: p.p95, p99: p.p99, max: p.max };
};
/** One entry per op and phase (the series' `phase` tag), merging the scenarios that ran the op. */
export function opReports(series: Series[]): OpReport[] {
  const groups = new Map<string, { op: string; phase: string; list: Series[] }>();
  for (const s of series) {
    const phase = s.tags.phase ?? "run";
    const key = `${s.op}\u0000${phase}`;
    const group = groups.get(key) ?? { op: s.op, phase, list: [] };
    group.list.push(s);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ op, phase, list }) => {
    const sum = (f: (s: Series) => number) => list.reduce((n, s) => n + f(s), 0);
    const errorsByClass = Object.fromEntries(
      Object.keys(list[0]?.errors ?? {}).map((c) => [c, sum((s) => s.errors[c as ErrorClass])]),
    ) as Record<ErrorClass, number>;
    return {
      op,
      phase,
      count: sum((s) => s.iterations),
      errors: sum((s) => s.errorCount),
      errorsByClass,
      dropped: sum((s) => s.dropped),
      interrupted: sum((s) => s.interrupted),
      cacheHits: sum((s) => s.cacheHits),
      cacheMisses: sum((s) => s.cacheMisses),
      latencyMs: quantiles(list, "latency"),
      poolWaitMs: quantiles(list, "pool_wait"),
      dispatchLagMs: quantiles(list, "dispatch_lag"),
      serviceMs: quantiles(list, "service_time"),
      histograms: Object.fromEntries(
        TRENDS.map((t) => [t, encodeHistogram(mergeHistograms(list.map((s) => s.trends[t])))]),
      ) as Record<Trend, string>,
    };
  });
}

export function statusOf(input: {
  aborted: boolean;
  /** An abortOnFail threshold stopped the load: the short run says nothing about the generator. */
  stoppedByThreshold: boolean;
  generator: GeneratorHealth;
  thresholds: ThresholdResult[];
}): { status: RunStatus; reasons: string[] } {
  if (input.aborted) return { status: "aborted", reasons: ["stopped by a signal before the end"] };
  const failed = input.thresholds.filter((t) => !t.ok);
  const failedReasons = failed.map((t) => `${t.metric} ${t.expression} (actual ${t.actual})`);
  if (input.stoppedByThreshold) return { status: "failed", reasons: failedReasons };
  if (!input.generator.valid) return { status: "invalid", reasons: input.generator.reasons };
  if (failed.length > 0) return { status: "failed", reasons: failedReasons };
  return { status: "passed", reasons: [] };
}

/** The report of a run stopped before its load began (during start-up or seeding). */
export function abortedBeforeLoad(
  scenario: { name: string; file: string },
  provider: ProviderName | "auto",
  startedAt: string,
): RunReport {
  return {
    schemaVersion: SCHEMA_VERSION,
    status: "aborted",
    statusReasons: ["stopped by a signal before the load began"],
    scenario: scenario.name,
    scenarioFile: scenario.file,
    provider,
    startedAt,
    durationMs: 0,
    versions: { postgres: "", pgbouncer: "", redis: "" },
    settings: {},
    client: {} as RunReport["client"],
    seed: null,
    phases: [],
    ops: [],
    deltas: [],
    timeline: [],
    perSecond: { originMs: 0, intervalMs: 1000, ops: {} },
    actions: [],
    thresholds: [],
    generator: {
      targetRate: 0,
      achievedRate: 0,
      droppedIterations: 0,
      dispatchLagP99Ms: 0,
      lateIterations: 0,
      lateShare: 0,
      eventLoopDelayP99Ms: 0,
      cpuPercent: 0,
      valid: false,
      reasons: ["no load was run"],
    },
  };
}
