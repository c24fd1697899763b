/**
 * Runs a workload: every scenario's executor at its startTime, each iteration
 * calling the named op with instrumented `db` and `cache` clients. Returns
 * the metrics store and the generator's verdict on itself.
 */
import { onAbort } from "../../core/abort.ts";
import { BadInputError } from "../../core/errors.ts";
import { type Op, type OpTargets, opContext } from "../clients/op-context.ts";
import { createExecutor, type Executor, loadDurationMs, type ScenarioOptions } from "../executors/index.ts";
import { fractionAboveMs, mergeHistograms, valueAtPercentileMs } from "../metrics/histogram.ts";
import { PerSecondLatency } from "../metrics/per-second.ts";
import { MetricsStore } from "../metrics/store.ts";
import { abortingFailures, type ThresholdResult } from "../thresholds/evaluate.ts";
import { measuredOfSeries } from "../thresholds/measured.ts";
import type { ParsedThreshold } from "../thresholds/parse.ts";
import { runClosedLoop } from "./closed-loop.ts";
import {
  assessGenerator,
  DEFAULT_TOLERANCE,
  type GeneratorHealth,
  GeneratorMonitor,
  type HealthTolerance,
} from "./generator-health.ts";
import type { ScenarioRun } from "./iteration.ts";
import type { LoopOutcome } from "./open-loop.ts";
import { runOpenLoop } from "./open-loop.ts";

/** Executors for every scenario, or a BadInputError listing every problem (options, unknown ops). */
export function planLoad(
  scenarios: Record<string, ScenarioOptions>,
  ops: Record<string, Op>,
  source: string,
): Executor[] {
  const problems: string[] = [];
  const executors: Executor[] = [];
  for (const [name, options] of Object.entries(scenarios)) {
    const result = createExecutor(name, options);
    if ("problems" in result) {
      problems.push(...result.problems);
      continue;
    }
    if (!ops[result.exec]) {
      problems.push(
        `scenarios.${name}.exec: no op named '${result.exec}' (ops: ${Object.keys(ops).join(", ") || "none"})`,
      );
    }
    executors.push(result);
  }
  if (Object.keys(scenarios).length === 0) problems.push("scenarios: at least one is needed");
  if (problems.length > 0) throw new BadInputError(source, problems);
  return executors;
}

/** A named stretch of the run, as offsets (ms) from its start. */
export interface PhaseSpan {
  name: string;
  startMs: number;
  endMs: number;
}

export interface LoadOutcome {
  store: MetricsStore;
  perSecond: PerSecondLatency;
  startedAtMs: number;
  durationMs: number;
  outcomes: Record<string, LoopOutcome>;
  generator: GeneratorHealth;
  /** abortOnFail thresholds that stopped the run early. */
  abortedBy: ThresholdResult[];
}

const ABORT_CHECK_INTERVAL_MS = 1_000;

export async function runLoad(
  executors: Executor[],
  ops: Record<string, Op>,
  targets: OpTargets,
  options: {
    signal?: AbortSignal;
    tolerance?: HealthTolerance;
    store?: MetricsStore;
    thresholds?: ParsedThreshold[];
    /** Called once a second with the store and the per-second figures (live totals, progress). */
    onTick?: (store: MetricsStore, perSecond: PerSecondLatency) => void;
    /** Every sample belongs to the phase in which its iteration was meant to start. Default: one, `run`. */
    phases?: PhaseSpan[];
    /** Monotonic ms the load starts at (default: now); lets a caller align actions and samples. */
    startAtMs?: number;
    /** Phases the generator's validity is judged on (default: all); warm-up phases are not measured. */
    measuredPhases?: string[];
    /** Phases whose budgets are judged on rolling windows too: their series are kept second by second. */
    windowedPhases?: string[];
    /** Keep each second's histograms in the per-second figures (a segment's part: merged later). */
    keepSecondHistograms?: boolean;
  } = {},
): Promise<LoadOutcome> {
  const store = options.store ?? new MetricsStore((options.tolerance ?? DEFAULT_TOLERANCE).dispatchLagMs);
  const monitor = new GeneratorMonitor();
  const startedAtMs = options.startAtMs ?? performance.now() + 5; // a moment to set every scenario up
  const perSecond = new PerSecondLatency({ keepHistograms: options.keepSecondHistograms ?? false });
  const phases = options.phases ?? [{ name: "run", startMs: 0, endMs: Number.POSITIVE_INFINITY }];
  // Stops on the caller's signal, or when an abortOnFail threshold fails.
  const stop = new AbortController();
  const unsubscribe = onAbort(options.signal, () => stop.abort());
  let abortedBy: ThresholdResult[] = [];
  const watched = (options.thresholds ?? []).filter((t) => t.abortOnFail);
  const watcher = setInterval(() => {
    perSecond.tick();
    options.onTick?.(store, perSecond);
    if (watched.length === 0) return;
    abortedBy = abortingFailures(watched, store.all().map(measuredOfSeries), performance.now() - startedAtMs);
    if (abortedBy.length > 0) stop.abort();
  }, ABORT_CHECK_INTERVAL_MS);
  // A phase without an end (a scenario without phases) ends with the load.
  const loadEndMs = loadDurationMs(executors);
  const halfAt = (phase: PhaseSpan) =>
    startedAtMs + (phase.startMs + (Number.isFinite(phase.endMs) ? phase.endMs : loadEndMs)) / 2;
  monitor.start();
  const outcomes: Record<string, LoopOutcome> = {};
  await Promise.all(
    executors.map(async (executor) => {
      const op = ops[executor.exec] as Op;
      const tags = { scenario: executor.scenario, ...executor.tags };
      const byPhase = phases.map((phase) => ({
        endAtMs: startedAtMs + phase.endMs,
        series: store.series(
          executor.exec,
          { ...tags, phase: phase.name },
          options.windowedPhases?.includes(phase.name) ? startedAtMs : undefined,
          halfAt(phase),
        ),
      }));
      const last = byPhase[byPhase.length - 1] as (typeof byPhase)[number];
      const run: ScenarioRun = {
        op: executor.exec,
        iterate: ({ vu, iteration, timer }) => op(opContext(targets, timer, vu, iteration)),
        // Phases are few: a linear scan is cheaper than anything cleverer.
        seriesAt: (intendedMs) => (byPhase.find((p) => intendedMs < p.endAtMs) ?? last).series,
        perSecond,
        closed: false,
      };
      const plan = executor.plan();
      const startAt = startedAtMs + executor.startTimeMs;
      outcomes[executor.scenario] =
        plan.kind === "open"
          ? await runOpenLoop(plan, run, startAt, executor.gracefulStopMs, stop.signal)
          : await runClosedLoop(plan, run, startAt, executor.gracefulStopMs, stop.signal);
    }),
  );
  clearInterval(watcher);
  options.onTick?.(store, perSecond);
  unsubscribe();
  const durationMs = performance.now() - startedAtMs;
  const generator = assessLoad(executors, outcomes, store, monitor.stop(), options);
  return { store, perSecond, startedAtMs, durationMs, outcomes, generator, abortedBy };
}

/** The generator's verdict on itself over a load's data: rates per open-loop scenario over its planned
 * duration (the graceful stop is not load), drops and late starts in the measured phases. */
export function assessLoad(
  executors: Executor[],
  outcomes: Record<string, LoopOutcome>,
  store: MetricsStore,
  monitored: { eventLoopDelayP99Ms: number; cpuPercent: number },
  options: { measuredPhases?: string[]; tolerance?: HealthTolerance },
): GeneratorHealth {
  let targetRate = 0;
  let achievedRate = 0;
  for (const executor of executors) {
    const plan = executor.plan();
    if (plan.kind !== "open" || plan.durationMs <= 0) continue;
    targetRate += plan.targetRatePerSec;
    achievedRate += ((outcomes[executor.scenario]?.started ?? 0) / plan.durationMs) * 1000;
  }
  const all = store.all();
  const measured = options.measuredPhases;
  const judged = measured ? all.filter((s) => measured.includes(s.tags.phase ?? "run")) : all;
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const lag = mergeHistograms(judged.map((s) => s.trends.dispatch_lag));
  const lateShare = fractionAboveMs(lag, tolerance.dispatchLagMs);
  return assessGenerator(
    {
      targetRate,
      achievedRate,
      droppedIterations: judged.reduce((n, s) => n + s.dropped, 0),
      dispatchLagP99Ms: valueAtPercentileMs(lag, 99),
      lateShare,
      lateIterations: Math.round(lateShare * lag.totalCount),
      ...monitored,
    },
    tolerance,
  );
}
