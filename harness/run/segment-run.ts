/**
 * One process running one segment of a run (`rehearse run --segment i/N --start-at <time>`): every part waits
 * for the same wall-clock instant, runs its share of every executor, and writes a partial report that
 * `rehearse merge` combines. Only the conducting part runs the actions and the sampler.
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { BadInputError } from "../../core/errors.ts";
import type { Segment } from "../executors/segment.ts";

export interface SegmentRun {
  segment: Segment;
  /** Wall-clock ms (epoch) at which every part's load starts; undefined (one segment, no --start-at): as soon
   * as the part is ready. */
  startAtEpochMs: number | undefined;
  /** No actions, no sampler (another part conducts them). */
  loadOnly: boolean;
}

/** A part ready later than this after the shared start refuses to run: its load would not overlap the others'. */
export const START_LATE_BOUND_MS = 1_000;
/** How far ahead a start may be: a wait is bounded like everything else. */
export const START_AHEAD_BOUND_MS = 24 * 3_600_000;

/** The problem with a start instant given on the command line, or undefined. */
export function startAtProblem(epochMs: number, nowMs = Date.now()): string | undefined {
  if (!Number.isFinite(epochMs)) return "is not an ISO 8601 time (e.g. 2026-12-02T10:00:00Z)";
  if (nowMs - epochMs > START_LATE_BOUND_MS)
    return `is ${((nowMs - epochMs) / 1000).toFixed(1)} s in the past (a part may start at most ${START_LATE_BOUND_MS / 1000} s late)`;
  if (epochMs - nowMs > START_AHEAD_BOUND_MS) return `is more than ${START_AHEAD_BOUND_MS / 3_600_000} h ahead`;
  return undefined;
}

/** Waits until `leadMs` before the shared start (by the system clock); refuses (exit 2) when the stack and
 * the app took so long that the start has passed by more than the bound. */
export async function waitForStart(part: SegmentRun, leadMs: number, signal: AbortSignal): Promise<number> {
  if (part.startAtEpochMs === undefined) return Date.now() + leadMs;
  const late = Date.now() - part.startAtEpochMs;
  if (late > START_LATE_BOUND_MS) {
    throw new BadInputError("--start-at", [
      `this part was ready ${(late / 1000).toFixed(1)} s after the shared start: give the parts more time to start their clients (and the stack)`,
    ]);
  }
  // The system clock read once, then the monotonic clock for the wait: a clock step during it cannot stretch it.
  const waitMs = part.startAtEpochMs - leadMs - Date.now();
  if (waitMs > 0) await sleep(waitMs, undefined, { signal }).catch(() => {});
  return part.startAtEpochMs;
}

/** How late the load began, by the system clock, given its performance.now() instant. */
export function startLagMs(startAtEpochMs: number, loadStartAt: number): number {
  const wallAt = Date.now() - performance.now() + loadStartAt;
  return Math.round((wallAt - startAtEpochMs) * 1000) / 1000;
}

/** The kernel's clocksource (Linux), for the report: a part's start is only as good as its clock. */
export function clockSource(): string {
  try {
    const source = readFileSync("/sys/devices/system/clocksource/clocksource0/current_clocksource", "utf8").trim();
    return `system clock (${source})`;
  } catch {
    return "system clock";
  }
}
