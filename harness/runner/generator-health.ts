/**
 * The generator watches itself: if it could not keep the schedule (iterations
 * dropped, fewer started than planned, or starts so late that a failed budget
 * may be their doing), the run is invalid rather than wrong. Late starts under
 * budgets that held anyway are noted: latency counts from the intended start,
 * so they only made the measured latency worse (see thresholds/lateness.ts).
 */
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import type { GeneratorReport } from "../../reports/schema.ts";

export interface HealthInput {
  targetRate: number;
  achievedRate: number;
  droppedIterations: number;
  dispatchLagP99Ms: number;
  /** Iterations that started later than the tolerance allows. */
  lateIterations: number;
  /** Their share of all iterations (0–1). */
  lateShare: number;
  eventLoopDelayP99Ms: number;
  cpuPercent: number;
}

export interface GeneratorHealth extends HealthInput {
  valid: boolean;
  reasons: string[];
  /** Late starts no verdict depends on (settleLateness decides, once the budgets are judged). */
  notes: string[];
  /** With --workers: each load worker's own health (the figures above are over all of them). */
  workers?: WorkerHealth[];
}

/** A load worker's own health (`--workers`): report.json's `generator.workers[]`. */
export type WorkerHealth = NonNullable<GeneratorReport["workers"]>[number];

export interface HealthTolerance {
  /** An iteration starting later than this is late. */
  dispatchLagMs: number;
  /** Late iterations beyond this share (and MIN_LATE of them) make the run invalid: a p99 over a
   * short run is decided by one or two GC pauses, which do not mean the schedule was lost. */
  maxLateShare: number;
  /** Achieved below this share of the target (open loop) means the generator fell behind. */
  minAchievedShare: number;
}

export const DEFAULT_TOLERANCE: HealthTolerance = { dispatchLagMs: 10, maxLateShare: 0.01, minAchievedShare: 0.95 };
const MIN_LATE = 10;

type Schedule = Pick<HealthInput, "lateShare" | "lateIterations" | "targetRate" | "achievedRate">;

/** Too many iterations started late to call the schedule kept. */
export function startedLate(input: Schedule, tolerance: HealthTolerance = DEFAULT_TOLERANCE): boolean {
  return input.lateShare > tolerance.maxLateShare && input.lateIterations >= MIN_LATE;
}

/** Open loop: fewer iterations started than planned. */
export function fellShort(input: Schedule, tolerance: HealthTolerance = DEFAULT_TOLERANCE): boolean {
  return input.targetRate > 0 && input.achievedRate < input.targetRate * tolerance.minAchievedShare;
}

export function assessGenerator(input: HealthInput, tolerance: HealthTolerance = DEFAULT_TOLERANCE): GeneratorHealth {
  const reasons: string[] = [];
  const notes: string[] = [];
  if (startedLate(input, tolerance)) {
    const percent = (input.lateShare * 100).toFixed(1);
    notes.push(
      `${input.lateIterations} iterations (${percent}%) started more than ${tolerance.dispatchLagMs} ms late (dispatch lag p99 ${input.dispatchLagP99Ms} ms)`,
    );
  }
  if (input.droppedIterations > 0) reasons.push(`${input.droppedIterations} iterations dropped (maxVUs too low)`);
  if (fellShort(input, tolerance)) {
    reasons.push(`achieved ${input.achievedRate.toFixed(1)}/s of ${input.targetRate.toFixed(1)}/s`);
  }
  return { ...input, valid: reasons.length === 0, reasons, notes };
}

/** How a lateness reason ends: a merge re-judges lateness on the merged data, not on each part's. */
export const LATE_VERDICT = "the failure may be rehearse's, not the system's";

/**
 * Once the budgets are judged: when every failed budget's failure the late starts could explain
 * (lagMayDecide), the run is invalid, since its FAILED may be the generator's. A budget that failed beyond
 * them decides the verdict (FAILED) whatever the others; the late starts then stay a note, which names any
 * failed budget they may have decided, and otherwise says no verdict depends on them.
 */
export function settleLateness(
  health: GeneratorHealth,
  thresholds: { metric: string; expression: string; ok: boolean; lagMayDecide?: true }[],
): GeneratorHealth {
  const failed = thresholds.filter((t) => !t.ok);
  const atRisk = failed.filter((t) => t.lagMayDecide);
  const late = health.notes[0] ?? `dispatch lag p99 ${health.dispatchLagP99Ms} ms`;
  const budgets = atRisk.map((t) => `${t.metric} ${t.expression}`).join(", ");
  if (atRisk.length === 0) {
    return health.notes.length > 0
      ? { ...health, notes: [`${late}; no verdict depends on it (no failed budget is within what it adds)`] }
      : health;
  }
  if (atRisk.length < failed.length) {
    const stands = failed.filter((t) => !t.lagMayDecide).map((t) => `${t.metric} ${t.expression}`);
    return {
      ...health,
      notes: [`${late}; ${budgets} failed by no more than it adds, but ${stands.join(", ")} failed beyond it`],
    };
  }
  return {
    ...health,
    notes: [],
    valid: false,
    reasons: [
      ...health.reasons,
      `${budgets} failed by no more than the generator's late starts add (${late}): ${LATE_VERDICT}`,
    ],
  };
}

const LOOP_RESOLUTION_MS = 10;

/** Event-loop delay and CPU of this process over a window. */
export class GeneratorMonitor {
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private cpuStart = process.cpuUsage();
  private wallStart = performance.now();

  start(): void {
    this.loopDelay.enable();
    this.cpuStart = process.cpuUsage();
    this.wallStart = performance.now();
  }

  stop(): { eventLoopDelayP99Ms: number; cpuPercent: number } {
    this.loopDelay.disable();
    const cpu = process.cpuUsage(this.cpuStart);
    const wallMs = performance.now() - this.wallStart;
    return {
      // The sampled intervals include the sampling timer's own period; report only the delay beyond it.
      eventLoopDelayP99Ms: Math.max(
        0,
        Math.round(this.loopDelay.percentile(99) / 1e3 - LOOP_RESOLUTION_MS * 1e3) / 1e3,
      ),
      cpuPercent: wallMs > 0 ? Math.round(((cpu.user + cpu.system) / 1e3 / wallMs) * 1000) / 10 : 0,
    };
  }
}
