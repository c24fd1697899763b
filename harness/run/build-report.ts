/**
 * The engine's side of report.json: per-op entries from the metrics store,
 * the run's status, and the report of a run stopped before its load. The
 * shape is reports/schema.ts; this module fills it.
 */
import { relative } from "node:path";
import type { StackSettings, StartedStack } from "../../containers/index.ts";
import type { ProviderName } from "../../containers/types.ts";
import { thresholdEvidence } from "../../reports/render/format.ts";
import {
  type AppReport,
  actionFailure,
  type NamedRequestReport,
  type OpReport,
  type Quantiles,
  type RunReport,
  type RunStatus,
  SCHEMA_VERSION,
  type SecondsRecord,
  type SegmentReport,
  type ThresholdRow,
} from "../../reports/schema.ts";
import type { ActionRecord } from "../actions/timeline.ts";
import type { AppFleet } from "../app/app-fleet.ts";
import { REDIS_CLIENT } from "../clients/cache.ts";
import type { ErrorClass } from "../clients/classify-error.ts";
import { DEFAULT_HTTP_SETTINGS } from "../clients/http.ts";
import { halvesOfSeries } from "../metrics/halves.ts";
import { encodeHistogram, mergeHistograms, percentilesMs } from "../metrics/histogram.ts";
import { mergeSeconds } from "../metrics/seconds.ts";
import { mergeCounts, mergeNamed, type Series, TRENDS, type Trend } from "../metrics/store.ts";
import { type GeneratorHealth, settleLateness } from "../runner/generator-health.ts";
import type { LoadedScenario } from "../scenario/load.ts";
import { evaluateThresholds } from "../thresholds/evaluate.ts";
import { measuredOfReport } from "../thresholds/measured.ts";
import { thresholdRows } from "../thresholds/rows.ts";
import { computeDeltas, phaseSignals } from "./deltas.ts";
import { disturbedWindows } from "./disturbed.ts";
import { computeRecoveries } from "./recovery.ts";
import type { Rehearsal } from "./rehearsal.ts";

/** The series' requests by `name`, merged across the scenarios that ran the op; busiest first. */
function namedRequests(list: Series[]): NamedRequestReport[] {
  const names = [...new Set(list.flatMap((s) => [...s.byName.keys()]))];
  return names
    .map((name) => {
      const named = mergeNamed(list, name);
      const p = percentilesMs(named.duration);
      return {
        name,
        count: named.requests,
        failed: named.failed,
        statusCounts: named.statusCounts,
        durationMs: { p50: p.p50, p95: p.p95, p99: p.p99, max: p.max },
        histogram: encodeHistogram(named.duration),
      };
    })
    .sort((a, b) => b.count - a.count);
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
      ...(list.some((s) => s.httpRequests > 0) && {
        statusCounts: mergeCounts(list.map((s) => s.statusCounts)),
        requests: namedRequests(list),
      }),
      ...(list.some((s) => s.checksPassed + s.checksFailed > 0) && {
        checks: { passed: sum((s) => s.checksPassed), failed: sum((s) => s.checksFailed) },
      }),
      latencyMs: quantiles(list, "latency"),
      poolWaitMs: quantiles(list, "pool_wait"),
      dispatchLagMs: quantiles(list, "dispatch_lag"),
      serviceMs: quantiles(list, "service_time"),
      histograms: {
        ...(Object.fromEntries(
          TRENDS.map((t) => [t, encodeHistogram(mergeHistograms(list.map((s) => s.trends[t])))]),
        ) as Record<Trend, string>),
        ...(list.some((s) => s.httpRequests > 0) && {
          http_req_duration: encodeHistogram(mergeHistograms(list.map((s) => s.httpDuration))),
        }),
      },
      ...secondsOf(list),
      ...halvesOfSeries(list),
    };
  });
}

/** The op's seconds in a windowed phase (the series that kept them), merged. */
function secondsOf(list: Series[]): { seconds?: SecondsRecord } {
  const kept = list.flatMap((s) => (s.seconds ? [s.seconds.closed()] : []));
  const seconds = kept.length > 0 ? mergeSeconds(kept) : undefined;
  return seconds ? { seconds } : {};
}

export function statusOf(input: {
  aborted: boolean;
  /** An abortOnFail threshold stopped the load: the short run says nothing about the generator. */
  stoppedByThreshold: boolean;
  generator: GeneratorHealth;
  thresholds: ThresholdRow[];
  actions: ActionRecord[];
}): { status: RunStatus; reasons: string[] } {
  if (input.aborted) return { status: "aborted", reasons: ["stopped by a signal before the end"] };
  // A fault that was not injected is a rehearsal that did not happen: never a silent pass.
  const actionReasons = input.actions.flatMap((a) => {
    const why = actionFailure(a);
    return why === undefined || a.optional ? [] : [`action ${a.name} at ${fmtS(a.startMs)} failed: ${why}`];
  });
  const failed = input.thresholds.filter((t) => !t.ok);
  const failedReasons = [
    ...actionReasons,
    ...failed.map((t) => `${t.metric} ${t.expression} (${thresholdEvidence(t)})`),
  ];
  if (input.stoppedByThreshold) return { status: "failed", reasons: failedReasons };
  if (!input.generator.valid) return { status: "invalid", reasons: [...input.generator.reasons, ...actionReasons] };
  if (failedReasons.length > 0) return { status: "failed", reasons: failedReasons };
  return { status: "passed", reasons: [] };
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

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
    scenarioFile: relative(process.cwd(), scenario.file) || scenario.file,
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
    outages: [],
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
      notes: [],
    },
  };
}

export interface ReportInput {
  scenario: LoadedScenario;
  stack: Pick<StartedStack, "provider" | "versions">;
  settings: StackSettings;
  startedAt: string;
  seed: RunReport["seed"];
  rehearsal: Rehearsal;
  /** Stopped by a signal. */
  aborted: boolean;
  app?: AppFleet | undefined;
  /** Where report.json goes: paths in it are relative to it (a report is shared and committed). */
  reportDir?: string;
  /** A segment's part: which one, and how its start went. */
  segment?: SegmentReport;
}

/** The app's instances on the report's clock; one that exited on its own carries its log's last lines. */
function appReport(app: AppFleet, originMs: number, reportDir: string | undefined): AppReport {
  const at = (t: number | null) => (t === null ? null : Math.round(t - originMs));
  return {
    command: app.spec.command,
    setup: app.setupRecords,
    instances: app.instances.map((i) => {
      const r = i.record;
      return {
        port: r.port,
        startedMs: Math.round(r.startedAt - originMs),
        readyMs: at(r.readyAt),
        exitedMs: at(r.exitedAt),
        exitCode: r.exitCode,
        signal: r.signal,
        log: reportDir ? relative(reportDir, r.log) : r.log,
        ...(r.exitedAt !== null && !r.stoppedByUs && { crashed: { lastLines: i.logTail(10) } }),
      };
    }),
  };
}

/** What a report's ops, timeline and actions say: budgets, recoveries, deltas, the servers' signals. One
 * function for a run's report and a merged one (rehearse merge), so both are judged the same way. */
export function judgeOps(input: {
  scenario: Pick<LoadedScenario, "thresholds" | "baseline" | "recoveryStableForS" | "lagToleranceMs">;
  ops: OpReport[];
  durationMs: number;
  /** The load's start on the report's clock. */
  loadStartMs: number;
  phases: RunReport["phases"];
  perSecond: RunReport["perSecond"];
  timeline: RunReport["timeline"];
  actions: ActionRecord[];
}) {
  const { scenario, ops, phases, timeline } = input;
  const thresholds = thresholdRows(
    evaluateThresholds(scenario.thresholds, ops.map(measuredOfReport), input.durationMs, scenario.lagToleranceMs),
    input.loadStartMs,
  );
  const { recoveries, refills } = computeRecoveries({
    phases,
    baseline: scenario.baseline,
    ops,
    actions: input.actions,
    perSecond: input.perSecond,
    timeline,
    stableForS: scenario.recoveryStableForS,
  });
  const deltas = computeDeltas({ phases, baseline: scenario.baseline, ops, timeline, recoveries });
  return {
    thresholds,
    deltas,
    phaseSignals: phaseSignals({ phases, baseline: scenario.baseline, timeline }),
    recoveries,
    refills,
    disturbed: disturbedWindows(timeline),
  };
}

/** report.json from what a run produced: phases and actions on the run's clock, ops, deltas, verdict. */
export function buildRunReport(input: ReportInput): RunReport {
  const { scenario, rehearsal } = input;
  const { clock, outcome } = rehearsal;
  const ops = opReports(outcome.store.all());
  // The open-ended default phase ends with the load.
  const phases = scenario.phases.map((p) => ({
    name: p.name,
    startMs: clock.atLoadOffset(p.startMs),
    endMs: clock.atLoadOffset(Math.min(p.endMs, outcome.durationMs)),
  }));
  const perSecond = { originMs: clock.loadStartMs, intervalMs: 1000, ops: Object.fromEntries(outcome.perSecond.ops) };
  const judged = judgeOps({
    scenario,
    ops,
    durationMs: outcome.durationMs,
    loadStartMs: clock.loadStartMs,
    phases,
    perSecond,
    timeline: rehearsal.timeline,
    actions: rehearsal.actions,
  });
  const generator = settleLateness(outcome.generator, judged.thresholds);
  // A threshold that aborted the run fails it (exit 99); only a signal makes it aborted (exit 105).
  const { status, reasons } = statusOf({
    aborted: input.aborted,
    stoppedByThreshold: outcome.abortedBy.length > 0,
    generator,
    thresholds: judged.thresholds,
    actions: rehearsal.actions,
  });
  return {
    schemaVersion: SCHEMA_VERSION,
    status,
    statusReasons: [
      ...outcome.abortedBy.map((t) => `stopped early: ${t.metric} ${t.expression} failed (actual ${t.actual})`),
      ...reasons,
    ],
    scenario: scenario.name,
    // Relative to where rehearse ran: no absolute path of this machine in a report that is shared.
    scenarioFile: relative(process.cwd(), scenario.file) || scenario.file,
    baseline: scenario.baseline,
    provider: input.stack.provider,
    startedAt: input.startedAt,
    durationMs: Math.round(outcome.durationMs),
    versions: input.stack.versions,
    settings: { pgbouncer: input.settings.pgbouncer, postgres: input.settings.postgres, redis: input.settings.redis },
    client: {
      ...scenario.client,
      cachePrefix: scenario.cachePrefix,
      redis: { ...REDIS_CLIENT, commandTimeoutMs: null },
      ...(scenario.app && {
        http: { connections: scenario.app.connections, timeoutMs: DEFAULT_HTTP_SETTINGS.timeoutMs },
      }),
    },
    seed: input.seed,
    phases,
    ops,
    deltas: judged.deltas,
    phaseSignals: judged.phaseSignals,
    timeline: rehearsal.timeline,
    perSecond,
    actions: rehearsal.actions,
    recoveries: judged.recoveries,
    refills: judged.refills,
    disturbed: judged.disturbed,
    outages: rehearsal.outages,
    ...(input.app && { app: appReport(input.app, clock.originMs, input.reportDir) }),
    thresholds: judged.thresholds,
    generator,
    ...(input.segment && { segment: input.segment }),
  };
}
