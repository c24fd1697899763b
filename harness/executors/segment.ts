/**
 * Execution segments (k6's lib/execution_segment.go) for equal shares: segment
 * i of N runs every N-th iteration of every executor's schedule, starting with
 * iteration i−1, and an interleaved share of every count (VUs, iterations,
 * the client pool). For equal segments k6's striping reduces to this round
 * robin, so the union of the N segments is exactly the one-process schedule
 * and each segment's rate is even over time (not the first third, then the
 * second). Computed locally: no coordinator.
 */
import type { ClosedLoopPlan, Executor, OpenLoopPlan, Plan, Segment } from "./executor.ts";

export type { Segment } from "./executor.ts";

export const WHOLE: Segment = { index: 1, count: 1 };

/** More segments than this is a typo, not a fleet (k6-operator users run tens). */
export const MAX_SEGMENTS = 256;

export function parseSegment(text: string): Segment | string {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) return `'${text}' is not i/N (e.g. 2/3: the second of three equal segments)`;
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > MAX_SEGMENTS) return `'${text}': N must be 1 to ${MAX_SEGMENTS}`;
  if (index < 1 || index > count) return `'${text}': i must be 1 to ${count}`;
  return { index, count };
}

export const segmentLabel = (s: Segment) => `${s.index}/${s.count}`;

/** Whether the k-th (0-based) item of a schedule is this segment's. */
export function owns(segment: Segment, k: number): boolean {
  return k % segment.count === segment.index - 1;
}

/** This segment's share of `value` things (VUs, iterations): how many of 0..value−1 it owns. The shares of
 * the N segments add up to `value` exactly. */
export function shareOf(segment: Segment, value: number): number {
  const first = segment.index - 1;
  return value > first ? Math.floor((value - 1 - first) / segment.count) + 1 : 0;
}

function openShare(plan: OpenLoopPlan, segment: Segment): OpenLoopPlan {
  return {
    ...plan,
    arrivals: function* () {
      let k = 0;
      for (const at of plan.arrivals()) if (owns(segment, k++)) yield at;
    },
    preAllocatedVUs: shareOf(segment, plan.preAllocatedVUs),
    maxVUs: shareOf(segment, plan.maxVUs),
    targetRatePerSec: plan.targetRatePerSec / segment.count,
    segment: plan.segment ? segmentWithin(plan.segment, segment) : segment,
  };
}

function closedShare(plan: ClosedLoopPlan, segment: Segment): ClosedLoopPlan {
  const steps: ClosedLoopPlan["vuSteps"] = [];
  for (const step of plan.vuSteps) {
    const vus = shareOf(segment, step.vus);
    // A ramp's step that does not change this segment's count is not a step here.
    if (steps.length === 0 || steps[steps.length - 1]?.vus !== vus) steps.push({ atMs: step.atMs, vus });
  }
  return {
    ...plan,
    vuSteps: steps,
    segment: plan.segment ? segmentWithin(plan.segment, segment) : segment,
    ...(plan.sharedIterations !== undefined && { sharedIterations: shareOf(segment, plan.sharedIterations) }),
  };
}

/** A share of a share (a worker's of a part's): segment j of N within i of M is i + M·(j−1) of M·N. Round
 * robin in round robin: all the inner segments of all the outer ones own each item exactly once. */
export function segmentWithin(outer: Segment, inner: Segment): Segment {
  return { index: outer.index + outer.count * (inner.index - 1), count: outer.count * inner.count };
}

export function planShare(plan: Plan, segment: Segment): Plan {
  if (segment.count === 1) return plan;
  return plan.kind === "open" ? openShare(plan, segment) : closedShare(plan, segment);
}

/** The executor running this segment's share of its schedule. */
export function executorShare(executor: Executor, segment: Segment): Executor {
  if (segment.count === 1) return executor;
  return { ...executor, plan: () => planShare(executor.plan(), segment) };
}

/** Executors whose schedule cannot be split into `count` segments without a segment being given iterations
 * and no VU to run them (an open-loop executor's maxVUs below the number of segments). */
export function segmentProblems(executors: Executor[], count: number): string[] {
  return executors.flatMap((e) => {
    const plan = e.plan();
    return plan.kind === "open" && plan.maxVUs < count
      ? [
          `scenarios.${e.scenario}.maxVUs: ${plan.maxVUs} cannot be split into ${count} segments (each needs at least one VU)`,
        ]
      : [];
  });
}
