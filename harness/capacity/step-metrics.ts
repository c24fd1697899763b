/**
 * What a capacity step measured, read from its run report: per-op
 * percentiles, pool wait on both sides, errors, PgBouncer utilisation, cache
 * hit ratio and host CPU over the steady window, the budgets' verdicts, and
 * whether the generator held its schedule.
 */
import type { CapacityStep } from "../../reports/capacity/schema.ts";
import type { RunReport, TimelineSample } from "../../reports/schema.ts";
import { fellShort, startedLate } from "../runner/generator-health.ts";
import type { StepVerdict } from "./search.ts";
import { STEP_PHASES } from "./step-scenario.ts";

const round = (n: number, places = 1) => Math.round(n * 10 ** places) / 10 ** places;
const max = (values: number[]) => (values.length > 0 ? Math.max(...values) : null);
const mean = (values: number[]) => (values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : null);

/** All cores busy: the host, not rehearse or the system, was the limit. */
const HOST_BOUND_PCT = 90;
/** rehearse's process this close to a full core (per load thread): its JavaScript thread(s) were the limit, busy
 * host or not. */
const GENERATOR_CORE_SATURATED = 0.85;

/**
 * A step is judged on its budgets while the generator held its schedule well enough for the verdict to be the
 * system's: it started what was planned (dropped iterations are the system's doing: every VU waiting on it),
 * and no more than 1% started later than a tenth of the tightest latency budget (the step's own generator
 * tolerance: such a lag cannot turn its verdict). Otherwise it says whose limit it was: rehearse's own
 * (generator-bound) when its process used a full core, the host's when every core was busy and rehearse got
 * less than one (it was starved), else rehearse's own.
 */
export function stepVerdict(
  report: RunReport,
  hostBusyPct: number | null,
  rehearseCores: number | null,
  dropsAreOurs = false,
): StepVerdict {
  const g = report.generator;
  if (startedLate(g) || (fellShort(g) && g.droppedIterations === 0) || dropsAreOurs) {
    // With --workers, each load thread has a core's worth to use up: saturated is every one of them at it.
    const threads = g.workers?.length ?? 1;
    const saturated = rehearseCores !== null && rehearseCores >= GENERATOR_CORE_SATURATED * threads;
    return !saturated && hostBusyPct !== null && hostBusyPct >= HOST_BOUND_PCT ? "host-bound" : "generator-bound";
  }
  return report.thresholds.every((t) => t.ok) && g.droppedIterations === 0 ? "passed" : "failed";
}

const CLEAR_FACTOR = 2;

/** A breach no noise explains: iterations dropped (every VU was waiting), or every broken "below"
 * budget missed by twice its bound or more. */
export function clearBreach(report: RunReport): boolean {
  if (report.generator.droppedIterations > 0) return true;
  const broken = report.thresholds.filter((t) => !t.ok);
  return (
    broken.length > 0 &&
    broken.every((t) => {
      const bound = /<=?\s*([\d.]+)\s*$/.exec(t.expression);
      return bound !== null && t.actual >= Number(bound[1]) * CLEAR_FACTOR;
    })
  );
}

/** `scaled`: the ops the arrival rates drive; the achieved rate counts only them (background workers
 * run flat out and are not part of the rate). */
export function stepOf(
  report: RunReport,
  step: { rate: number; repeat: boolean; poolSize: number; scaled: string[]; maxVUs?: number },
): CapacityStep {
  const { rate, repeat, poolSize } = step;
  const steady = report.phases.find((p) => p.name === STEP_PHASES.steady);
  const window = report.timeline.filter((s) => steady && s.tMs > steady.startMs && s.tMs <= steady.endMs + 500);
  const ops = report.ops.filter((o) => o.phase === STEP_PHASES.steady);
  const started = ops.filter((o) => step.scaled.includes(o.op)).reduce((n, o) => n + o.count, 0);
  const count = ops.reduce((n, o) => n + o.count, 0);
  const errors = ops.reduce((n, o) => n + o.errors, 0);
  const busy = roundOrNull(mean(window.flatMap((s) => (s.host ? [s.host.busyPct] : []))));
  const steadyS = steady ? Math.max(0.001, (steady.endMs - steady.startMs) / 1000) : 1;
  const cpu = cpuOf(window);
  const verdict = stepVerdict(report, busy, cpu?.rehearse ?? null, dropsAreOurs(report, ops, step, steadyS));
  const bouncer = window.flatMap((s) => (s.pgbouncer ? [s.pgbouncer] : []));
  const utilisation = bouncer.map((b) => b.svActive / Math.max(1, poolSize));
  return {
    rate,
    achievedRate: round(achieved(started / steadyS, rate, report.generator)),
    passed: verdict === "passed",
    verdict,
    repeat,
    clearBreach: verdict === "failed" && clearBreach(report),
    ops: ops.map((o) => ({
      op: o.op,
      count: o.count,
      errors: o.errors,
      p50Ms: o.latencyMs.p50,
      p95Ms: o.latencyMs.p95,
      p99Ms: o.latencyMs.p99,
      poolWaitP95Ms: o.poolWaitMs.p95,
      serviceP95Ms: o.serviceMs.p95,
    })),
    budgets: report.thresholds.map((t) => ({ metric: t.metric, expression: t.expression, ok: t.ok, actual: t.actual })),
    errorRate: count > 0 ? round(errors / count, 4) : 0,
    poolWait: {
      clientP95Ms: max(ops.map((o) => o.poolWaitMs.p95)) ?? 0,
      serverMaxMs: max(bouncer.map((b) => b.maxWaitMs)),
      clWaitingMax: max(bouncer.map((b) => b.clWaiting)),
    },
    pgbouncerUtilisation:
      utilisation.length > 0 ? { mean: round(mean(utilisation) ?? 0, 3), max: round(max(utilisation) ?? 0, 3) } : null,
    cacheHitRatio: cacheHitRatio(window),
    hostCpu: {
      busyPct: busy,
      stealPct: roundOrNull(max(window.flatMap((s) => (s.host ? [s.host.stealPct] : [])))),
    },
    cpu,
    generator: {
      valid: report.generator.valid && !startedLate(report.generator),
      // Late starts are the step's own verdict (stepVerdict), whatever the run's budgets said of them.
      reasons: [...report.generator.reasons, ...(report.generator.notes ?? [])],
      dispatchLagP99Ms: report.generator.dispatchLagP99Ms,
    },
  };
}

/** Mean cores per part over the window's seconds that have them. */
function cpuOf(window: TimelineSample[]): CapacityStep["cpu"] {
  const samples = window.flatMap((s) => (s.cpu ? [s.cpu] : []));
  if (samples.length === 0) return null;
  const avg = (pick: (c: (typeof samples)[number]) => number) => round(mean(samples.map(pick)) ?? 0, 2);
  return {
    rehearse: avg((c) => c.rehearse),
    app: avg((c) => c.app),
    appMax: avg((c) => c.appMax ?? 0),
    postgres: avg((c) => c.postgres),
    pgbouncer: avg((c) => c.pgbouncer),
    redis: avg((c) => c.redis),
    other: avg((c) => c.other),
  };
}

/**
 * Dropped iterations are the system's doing when it held the VUs: by Little's law it holds about rate × (pool
 * wait + service time) of them. Drops while it held under half the step's VUs came from rehearse's own event
 * loop releasing them late (a stall, GC): its limit, not the system's.
 */
function dropsAreOurs(
  report: RunReport,
  ops: RunReport["ops"],
  step: { scaled: string[]; maxVUs?: number },
  steadyS: number,
): boolean {
  if (report.generator.droppedIterations === 0 || !step.maxVUs) return false;
  const held = ops
    .filter((o) => step.scaled.includes(o.op))
    .reduce((n, o) => n + (o.count / steadyS) * ((o.poolWaitMs.p95 + o.serviceMs.p95) / 1000), 0);
  return held < step.maxVUs / 2;
}

/** Iterations are counted in the phase they were scheduled in: a generator that fell behind and never started
 * the last of them shows in its own started share, not in the phase's count (dropped ones do show there). */
function achieved(counted: number, rate: number, g: RunReport["generator"]): number {
  const share = g.targetRate > 0 ? Math.min(1, g.achievedRate / g.targetRate) : 1;
  return Math.min(counted, rate * share);
}

function roundOrNull(n: number | null): number | null {
  return n === null ? null : round(n);
}

/** Redis' own hit ratio over the window (its counters are cumulative). */
function cacheHitRatio(window: TimelineSample[]): number | null {
  const redis = window.flatMap((s) => (s.redis ? [s.redis] : []));
  const first = redis[0];
  const last = redis.at(-1);
  if (!first || !last) return null;
  const hits = last.keyspaceHits - first.keyspaceHits;
  const misses = last.keyspaceMisses - first.keyspaceMisses;
  return hits + misses > 0 ? round(hits / (hits + misses), 3) : null;
}
