/**
 * The open-loop runner for arrival-rate executors (k6's constant/ramping
 * arrival rate): iterations start on the precomputed schedule whether or not
 * earlier ones finished, so a stalled server shows in the latencies instead
 * of slowing the load (no coordinated omission). An iteration due while all
 * maxVUs are busy is dropped and counted.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type OpenLoopPlan, wholeIndex, wholeVu } from "../executors/index.ts";
import { runIteration, type ScenarioRun } from "./iteration.ts";
import { waitUntil } from "./wait.ts";

export interface LoopOutcome {
  started: number;
  dropped: number;
  interrupted: number;
}

export async function runOpenLoop(
  plan: OpenLoopPlan,
  run: ScenarioRun,
  startAtMs: number,
  gracefulStopMs: number,
  signal?: AbortSignal,
): Promise<LoopOutcome> {
  const freeVus: number[] = [];
  for (let vu = plan.preAllocatedVUs; vu >= 1; vu--) freeVus.push(vu);
  let allocated = plan.preAllocatedVUs;
  const inFlight = new Set<Promise<void>>();
  let started = 0;
  let dropped = 0;
  const endAtMs = startAtMs + plan.durationMs;

  const arrivals = plan.arrivals()[Symbol.iterator]();
  let next = arrivals.next();
  let arrival = 0; // the schedule's index of `next` within this plan (dropped ones count: the numbering is the plan's)
  while (!next.done && !signal?.aborted) {
    const dueAt = startAtMs + next.value;
    if (dueAt >= endAtMs) break;
    if (dueAt > performance.now()) await waitUntil(dueAt, signal);
    const now = performance.now();
    // Everything due by now starts now; a late start shows as dispatch lag.
    while (!next.done && startAtMs + next.value <= now && startAtMs + next.value < endAtMs) {
      const intendedMs = startAtMs + next.value;
      const vu = freeVus.pop() ?? (allocated < plan.maxVUs ? ++allocated : undefined);
      if (vu === undefined) {
        dropped++;
        run.seriesAt(intendedMs).dropped++;
      } else {
        started++;
        const iteration = runIteration(run, wholeVu(plan, vu), wholeIndex(plan, arrival), intendedMs).finally(() => {
          inFlight.delete(iteration);
          freeVus.push(vu);
        });
        inFlight.add(iteration);
      }
      next = arrivals.next();
      arrival++;
    }
  }
  const interrupted = await settleWithin(inFlight, signal?.aborted ? 0 : gracefulStopMs);
  run.closed = true;
  const at = performance.now();
  run.seriesAt(at).addInterrupted(interrupted, at);
  return { started, dropped, interrupted };
}

/** Waits up to `ms` for in-flight iterations; returns how many were still running. */
export async function settleWithin(inFlight: Set<Promise<void>>, ms: number): Promise<number> {
  if (inFlight.size > 0 && ms > 0) {
    await Promise.race([Promise.all(inFlight), sleep(ms, undefined, { ref: false })]);
  }
  return inFlight.size;
}
