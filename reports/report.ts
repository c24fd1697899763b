/**
 * report.json (schema version 1): the fields VISION.md promises other tools.
 * Built as a pure function of what the run produced; histograms are stored
 * encoded so runs can be merged and compared without loss.
 */
import type { ProviderName, ServiceName } from "../containers/types.ts";
import type { ActionRecord } from "../harness/actions/timeline.ts";
import type { ErrorClass } from "../harness/clients/classify-error.ts";
import type { DbSettings } from "../harness/clients/db.ts";
import { encodeHistogram, mergeHistograms, percentilesMs } from "../harness/metrics/histogram.ts";
import type { OpSeconds } from "../harness/metrics/per-second.ts";
import { type Series, TRENDS, type Trend } from "../harness/metrics/store.ts";
import type { GeneratorHealth } from "../harness/runner/generator-health.ts";
import type { TimelineSample } from "../harness/sampler/sampler.ts";
import type { ThresholdResult } from "../harness/thresholds/evaluate.ts";
import type { Delta } from "./deltas.ts";

export const SCHEMA_VERSION = 1;

export type RunStatus = "passed" | "failed" | "invalid" | "aborted";

export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface OpReport {
  op: string;
  phase: string;
  count: number;
  errors: number;
  errorsByClass: Record<ErrorClass, number>;
  dropped: number;
  interrupted: number;
  cacheHits: number;
  cacheMisses: number;
  latencyMs: Quantiles;
  poolWaitMs: Quantiles;
  dispatchLagMs: Quantiles;
  serviceMs: Quantiles;
  histograms: Record<Trend, string>;
}

export interface RunReport {
  schemaVersion: typeof SCHEMA_VERSION;
  status: RunStatus;
  /** Why the status is not `passed`, in words. */
  statusReasons: string[];
  scenario: string;
  scenarioFile: string;
  /** The provider that ran; `auto` only when stopped before the stack was up (so none was chosen). */
  provider: ProviderName | "auto";
  startedAt: string;
  durationMs: number;
  versions: Record<ServiceName, string>;
  settings: Record<string, unknown>;
  client: DbSettings & { cachePrefix: string; redis: Record<string, boolean | number | null> };
  /** The seeded shape (events, accounts, projects, jobs), seconds spent, whether it was checkpointed. */
  seed: Record<string, number | boolean> | null;
  phases: { name: string; startMs: number; endMs: number }[];
  /** The phase the others are compared with; phases before it are warm-up: not judged, not compared.
   * Absent in older reports: then every phase counts. */
  baseline?: string;
  ops: OpReport[];
  deltas: Delta[];
  timeline: TimelineSample[];
  /** Per op, one entry per second of load from `originMs` (the sampler's clock): rolling p95 and the rest. */
  perSecond: { originMs: number; intervalMs: number; ops: Record<string, OpSeconds> };
  actions: ActionRecord[];
  thresholds: { metric: string; expression: string; ok: boolean; actual: number }[];
  generator: GeneratorHealth;
}

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

/** The phases that are measured: the baseline and what follows it (every phase when none is named). */
export function measuredPhases(run: { phases: { name: string }[]; baseline?: string }): Set<string> {
  const from = run.phases.findIndex((p) => p.name === run.baseline);
  return new Set(run.phases.slice(Math.max(0, from)).map((p) => p.name));
}
