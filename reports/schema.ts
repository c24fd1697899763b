/**
 * report.json, schema version 1: the wire format other tools read (field
 * names are a contract: see the README). The engine writes it and every
 * renderer reads it; this module imports nothing from either, so a rename
 * in the engine fails the build instead of silently changing the schema.
 */

export const SCHEMA_VERSION = 1;

export type RunStatus = "passed" | "failed" | "invalid" | "aborted";

import type { ActionRecord } from "./action-schema.ts";
import type { ErrorClass, ProviderName, ServiceName, Trend } from "./names.ts";

export type {
  ActionName,
  ActionOutcome,
  ActionRecord,
  ActionResults,
  InstanceStop,
  MigrationOutcome,
} from "./action-schema.ts";
export { ACTION_NAMES, isAction } from "./action-schema.ts";
export type { ErrorClass, ProviderName, ServiceName, Trend } from "./names.ts";

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
  /** HTTP ops only: responses by status code ("0": no response). */
  statusCounts?: Record<string, number>;
  /** HTTP ops only: their requests grouped by k6's `name` tag (the `name` option, else the path without
   * its query), busiest first; at most 100 names per op, the rest as "(other names)". */
  requests?: NamedRequestReport[];
  /** Ops that ran k6-style checks: how many held and how many did not. */
  checks?: { passed: number; failed: number };
  latencyMs: Quantiles;
  poolWaitMs: Quantiles;
  dispatchLagMs: Quantiles;
  serviceMs: Quantiles;
  /** The four trends encoded (HdrHistogram, µs), and for HTTP ops `http_req_duration` (per request). */
  histograms: Record<Trend, string> & { http_req_duration?: string };
  /** Phases after the baseline: the op second by second (by completion, on the load's clock), so budgets
   * can be judged, and merged runs re-judged, on rolling windows. */
  seconds?: SecondsRecord;
  /** Latency and pool wait of the iterations meant to start in the phase's first half and in its second, encoded:
   * `rehearse compare` takes how far a run's values move between them as noise (absent in older reports). */
  halves?: OpHalves;
}

export interface OpHalves {
  latency: [string, string];
  pool_wait: [string, string];
}

/** Per-second latencies, completions and failures, consecutive from `fromS` (seconds since the load's start;
 * a second with nothing has "" and zeros). */
export interface SecondsRecord {
  fromS: number;
  /** Encoded HdrHistograms of iteration latency (µs). */
  latency: string[];
  count: number[];
  failed: number[];
  /** Of `count`, iterations that started later than the generator's tolerance (reports before 2026-12). */
  late?: number[];
}

export interface NamedRequestReport {
  name: string;
  count: number;
  failed: number;
  statusCounts: Record<string, number>;
  durationMs: Quantiles;
  /** Their durations, encoded (what `http_req_duration{name:...}` is judged on). */
  histogram?: string;
}

/** Per-phase change against the baseline, per op. */
export interface Delta {
  phase: string;
  op: string;
  p95Ms: number;
  baselineP95Ms: number;
  deltaP95Ms: number;
  p99Ms: number;
  baselineP99Ms: number;
  deltaP99Ms: number;
  poolWaitP95Ms: number;
  baselinePoolWaitP95Ms: number;
  deltaPoolWaitP95Ms: number;
  errorRate: number;
  deltaErrorRate: number;
  /** null when the op made no cache lookups. */
  cacheHitRatio: number | null;
  deltaCacheHitRatio: number | null;
  peakClWaiting: number;
  peakMaxWaitMs: number;
  /** Server pool wait, PgBouncer's view (the app's own pool is invisible): mean wait for a server
   * connection per transaction in the phase, ms. null: no PgBouncer totals in the phase. */
  serverPoolWaitMs: number | null;
  baselineServerPoolWaitMs: number | null;
  deltaServerPoolWaitMs: number | null;
  /** Redis' own hit ratio in the phase (INFO): what the app's cache did, which rehearse cannot count itself. */
  serverCacheHitRatio: number | null;
  baselineServerCacheHitRatio: number | null;
  deltaServerCacheHitRatio: number | null;
  /** ms from the fault that began in this phase until the op was back within its baseline band and stayed
   * there; null when no fault began here, the op never left its band, or it had not recovered by the end
   * (`recovery` says which; recoveries[] has the detail). */
  recoveryMs: number | null;
  recovery?: RecoveryRecord["state"];
}

/** What the servers saw in a measured phase, and its change against the baseline: the server's, not an op's. */
export interface PhaseSignals {
  phase: string;
  /** PgBouncer: mean wait for a server connection per transaction (ms), peak clients waiting, their longest
   * wait, and the most server connections busy at once. */
  serverPoolWaitMs: number | null;
  deltaServerPoolWaitMs: number | null;
  peakClWaiting: number;
  peakMaxWaitMs: number;
  peakSvActive: number;
  /** Redis' own hit ratio (INFO keyspace hits/misses) and keys evicted in the phase. */
  redisHitRatio: number | null;
  deltaRedisHitRatio: number | null;
  evictedKeys: number | null;
  /** Postgres' buffer hit ratio (pg_stat_database). */
  bufferHitRatio: number | null;
  deltaBufferHitRatio: number | null;
  /** The most backends waiting on a lock at one sample. */
  peakLockWaiters: number;
}

/** One second of server-side signals, on the run's clock. */
export interface TimelineSample {
  /** ms since the run's origin. */
  tMs: number;
  pgbouncer?: {
    clActive: number;
    clWaiting: number;
    svActive: number;
    svIdle: number;
    svLogin: number;
    maxWaitMs: number;
    totalXactCount: number;
    totalWaitTimeUs: number;
    /** Server pool wait: client wait accrued since the previous sample (ms), and per transaction. */
    waitMs?: number;
    avgWaitMs?: number;
  };
  postgres?: {
    /** Backends by state (active, idle, idle in transaction...). */
    byState: Record<string, number>;
    /** Active backends waiting, by wait_event_type. */
    waiting: Record<string, number>;
    blksHit: number;
    blksRead: number;
  };
  redis?: {
    keyspaceHits: number;
    keyspaceMisses: number;
    evictedKeys: number;
    usedMemoryBytes: number;
    connectedClients: number;
  };
  generator?: { iterations: number; errors: number; dropped: number };
  /** The CPU of the machine running rehearse over the last interval (Linux only). */
  host?: { busyPct: number; iowaitPct: number; stealPct: number };
  /** Whose CPU it was over the last interval, in cores (1.0: one core busy the whole second): rehearse itself, the
   * app under test's instances, each server (when its processes are visible here), and the rest of the machine. */
  cpu?: {
    rehearse: number;
    app: number;
    /** The busiest app instance alone (a single-threaded app saturates at 1.0). */
    appMax: number;
    postgres: number;
    pgbouncer: number;
    redis: number;
    other: number;
    /** Always there (empty on a quiet host), so report.json's key paths do not depend on the host. */
    topOther: { name: string; cores: number }[];
  };
}

/** A stretch of seconds in which others used the host's CPU: programs outside the rehearsal (timeline cpu.other)
 * and other guests of its hypervisor (steal). */
export interface DisturbedWindow {
  fromMs: number;
  toMs: number;
  /** Mean cores the others used over the window, and the busiest of them by name ("steal (other VMs)" for the
   * hypervisor's other guests). */
  otherCores: number;
  by: string[];
}

/** Others' cores per second (other programs and steal) beyond which a second is disturbed: a quarter of a 2-core
 * machine. */
export const DISTURBED_CORES = 0.5;
/** Steal (percent of the host's CPU) from which a second is disturbed whatever else ran: on a 2-core VM, a 5 ms
 * op's p95 was unchanged under 2% steal, +15% at 5–7% and doubled at 10–19%. */
export const DISTURBED_STEAL_PCT = 10;

/** Per op, one entry per second of load. */
export interface OpSeconds {
  p95Ms: (number | null)[];
  poolWaitP95Ms: (number | null)[];
  count: number[];
  errors: number[];
  /** rehearse's own cache client's lookups that second (absent in older reports). */
  cacheHits?: number[];
  cacheMisses?: number[];
  /** A segment's part only (`rehearse run --segment`): each second's latency and pool wait, encoded ("" for a
   * second without completions), so `rehearse merge` computes the merged p95s from histograms. */
  latency?: string[];
  poolWait?: string[];
}

/** How long an op took to be back within its baseline band after a fault (times on the report's clock). */
export interface RecoveryRecord {
  action: string;
  /** Its index in actions[]. */
  actionIndex: number;
  op: string;
  /** The action's start: recovery is timed from the fault. */
  fromMs: number;
  /** The baseline's p95, and for a second of its typical `perSecond` completions the p95 above which a second is
   * out of band (the band widens for thinner seconds); its error rate. */
  band: { baselineP95Ms: number; upperP95Ms: number; perSecond: number; errorRate: number };
  /** unaffected: it never left its band (no recovery time); not-recovered: the run ended first. */
  state: "recovered" | "not-recovered" | "unaffected";
  peakP95Ms: number | null;
  peakAtMs: number | null;
  recoveredAtMs: number | null;
  recoveryMs: number | null;
}

/** How long a cache fault took to refill: the hit ratio (Redis' own, or an op's) back within its baseline band. */
export interface RefillRecord {
  action: string;
  actionIndex: number;
  /** "redis" (INFO keyspace hits/misses) or the op whose cache lookups rehearse counted. */
  source: string;
  fromMs: number;
  /** The baseline's hit ratio and lookups per second: a second is out of band when its ratio is unlikely for it. */
  band: { baselineRatio: number; lookupsPerSecond: number };
  state: "refilled" | "not-refilled" | "unaffected";
  lowestRatio: number | null;
  lowestAtMs: number | null;
  refilledAtMs: number | null;
  refillMs: number | null;
}

/** A service that stopped answering the sampler (3 s in a row), and when it answered again. */
export interface OutageRecord {
  service: ServiceName;
  fromMs: number;
  /** null: it never answered again before the run ended. */
  toMs: number | null;
  reason: string;
}

/** One instance of the app under test; times on the report's clock (negative: before the load's clock began). */
export interface AppInstanceReport {
  port: number;
  startedMs: number;
  readyMs: number | null;
  exitedMs: number | null;
  exitCode: number | null;
  signal: string | null;
  log: string;
  /** It exited on its own (a crash), not because rehearse stopped it: its log's last lines. */
  crashed?: { lastLines: string };
}

export interface AppReport {
  command: string;
  instances: AppInstanceReport[];
  setup: { command: string; exitCode: number; ms: number }[];
}

export interface GeneratorReport {
  targetRate: number;
  achievedRate: number;
  droppedIterations: number;
  dispatchLagP99Ms: number;
  lateIterations: number;
  lateShare: number;
  eventLoopDelayP99Ms: number;
  cpuPercent: number;
  valid: boolean;
  reasons: string[];
  /** What the generator did that no verdict depends on (late starts under budgets that held anyway); absent
   * in reports before 2026-12. */
  notes?: string[];
  /** `--workers N`: each load worker's own health, by its segment; the figures above are over all of them. */
  workers?: {
    segment: string;
    valid: boolean;
    reasons: string[];
    targetRate: number;
    achievedRate: number;
    dispatchLagP99Ms: number;
    lateShare: number;
    eventLoopDelayP99Ms: number;
  }[];
}

export interface ClientReport {
  poolSize: number;
  acquireTimeoutMs: number;
  queryTimeoutMs: number;
  statementTimeoutMs: number;
  cachePrefix: string;
  redis: Record<string, boolean | number | null>;
  /** The http client's keep-alive pool per app instance, when the scenario has an app. */
  http?: { connections: number; timeoutMs: number };
}

/** A budget's rolling windows (phases after the baseline): how many were judged, how many had too few samples
 * to be, and the worst one (times on the report's clock). */
export interface ThresholdWindow {
  sizeS: number;
  judged: number;
  notJudged: number;
  worst?: { fromMs: number; toMs: number; actual: number; samples: number; ok: boolean };
}

/** One op's verdict under a budget that holds per op. */
export interface ThresholdOpRow {
  op: string;
  ok: boolean;
  actual: number;
  samples: number;
  events?: number;
  window?: ThresholdWindow;
  note?: string;
  /** Failed by no more than the generator's late starts could have added. */
  lagMayDecide?: true;
}

export interface ThresholdRow {
  metric: string;
  expression: string;
  ok: boolean;
  /** The number the verdict was decided on: the worst op's value (a budget per op), its worst window's when
   * that was worse than the phase as a whole. Rates exact, 0–1. */
  actual: number;
  /** The op `actual` belongs to, for a budget judged per op (the one that broke it, else the worst). */
  op?: string;
  /** Each op's verdict, for a budget judged per op. */
  ops?: ThresholdOpRow[];
  /** Iterations or requests `actual` is over; for rates, `events` of them counted (e.g. failed). */
  samples?: number;
  events?: number;
  window?: ThresholdWindow;
  /** Why `actual` alone does not explain the verdict, e.g. "no completed iteration". */
  note?: string;
  /** "default": rehearse's launch-readiness budget, added because the scenario stated none. */
  source?: "default";
  /** A failing op failed by no more than the generator's late starts could have added: the run is invalid. */
  lagMayDecide?: true;
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
  client: ClientReport;
  /** The seeded shape (events, accounts, projects, jobs), seconds spent, whether it was checkpointed. */
  seed: Record<string, number | boolean> | null;
  phases: { name: string; startMs: number; endMs: number }[];
  /** The phase the others are compared with; phases before it are warm-up: not judged, not compared.
   * Absent in older reports: then every phase counts. */
  baseline?: string;
  ops: OpReport[];
  deltas: Delta[];
  /** Per measured phase, the servers' signals (absent in older reports). */
  phaseSignals?: PhaseSignals[];
  timeline: TimelineSample[];
  /** Per op, one entry per second of load from `originMs` (the sampler's clock): rolling p95 and the rest. */
  perSecond: { originMs: number; intervalMs: number; ops: Record<string, OpSeconds> };
  actions: ActionRecord[];
  /** Per fault and op: the time from the fault until the op was back within its baseline band (absent in older
   * reports). */
  recoveries?: RecoveryRecord[];
  /** Per cache fault: the time until the hit ratio was back within its baseline band. */
  refills?: RefillRecord[];
  /** When other programs on rehearse's host were busy beyond the bound (DISTURBED_CORES for 2 s or more): its
   * numbers then measure the neighbours too, and a comparison does not judge them. Absent in older reports. */
  disturbed?: DisturbedWindow[];
  /** The app under test, when rehearse started one. */
  app?: AppReport;
  /** Services that stopped answering during the load (a freeze or kill the scenario did, or a real crash).
   * Absent in reports written before it existed. */
  outages?: OutageRecord[];
  thresholds: ThresholdRow[];
  generator: GeneratorReport;
  /** A part of a run split into segments (`rehearse run --segment i/N`): judged alone it says little. */
  segment?: SegmentReport;
  /** A run merged from its segments' parts (`rehearse merge`). */
  merged?: MergedReport;
}

export interface SegmentReport {
  index: number;
  count: number;
  /** The shared start instant every part's load began at (ISO 8601, UTC). */
  startAt: string;
  /** How much later than `startAt` this part's load began, by its own system clock. */
  startLagMs: number;
  /** The clock that lag is measured on (the kernel's clocksource; a part's clock is only as good as its sync). */
  clockSource: string;
  /** Ran no actions and no sampler: another segment conducted them. */
  loadOnly: boolean;
  durationScale: number;
  /** The scenario's generator tolerance (a part's start lag beyond it is a late part). */
  lagToleranceMs: number;
}

export interface MergedReport {
  count: number;
  startAt: string;
  /** The segment that ran the actions and the sampler, if any did. */
  conductor: number | null;
  parts: { index: number; file: string; status: RunStatus; startLagMs: number; loadOnly: boolean }[];
  /** Segments of 1..count with no part given: the merged load is short of the schedule. */
  missing: number[];
  /** Segments given more than once: only the first was merged. */
  overlapping: number[];
  /** Parts whose load began later than the scenario's lag tolerance after startAt. */
  late: number[];
}

/** Why an action did not do its work (it threw, its revert threw, or it was refused); undefined when it did. */
export function actionFailure(record: Pick<ActionRecord, "result">): string | undefined {
  const r = record.result;
  const why = r.error ?? r.revertError ?? r.refused;
  return why === undefined || why === null ? undefined : String(why);
}

/** Ops whose names say they run in the background: judged on errors, not on what a user waits for. */
/** An op's failed iterations (errors and interrupted) and its attempts (completed plus interrupted). */
export const failedOf = (o: OpReport) => o.errors + o.interrupted;
export const attemptsOf = (o: OpReport) => o.count + o.interrupted;

export function isBackgroundOp(op: string): boolean {
  return /job|worker|cron|queue|batch/i.test(op);
}

/** The phases that are measured: the baseline and what follows it (every phase when none is named). */
export function measuredPhases(run: { phases: { name: string }[]; baseline?: string }): Set<string> {
  const from = run.phases.findIndex((p) => p.name === run.baseline);
  return new Set(run.phases.slice(Math.max(0, from)).map((p) => p.name));
}
