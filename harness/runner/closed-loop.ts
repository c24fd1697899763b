/**
 * The closed-loop runner for VU executors (constant-vus, ramping-vus,
 * per-vu-iterations, shared-iterations): each active VU runs iterations back
 * to back; the intended start of each is its actual start. VUs join and
 * leave at the plan's steps; a leaving VU finishes its current iteration.
 */
import { onAbort } from "../../core/abort.ts";
import { type ClosedLoopPlan, wholeIndex, wholeVu } from "../executors/index.ts";
import { runIteration, type ScenarioRun } from "./iteration.ts";
import { type LoopOutcome, settleWithin } from "./open-loop.ts";
import { waitUntil } from "./wait.ts";

export async function runClosedLoop(
  plan: ClosedLoopPlan,
  run: ScenarioRun,
  startAtMs: number,
  gracefulStopMs: number,
  signal?: AbortSignal,
): Promise<LoopOutcome> {
  const endAtMs = startAtMs + plan.durationMs;
  let sharedLeft = plan.sharedIterations ?? Number.POSITIVE_INFINITY;
  let started = 0;
  let wanted = 0; // VUs that should be running now
  const loops = new Map<number, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  const running = () => !signal?.aborted && performance.now() < endAtMs;

  const vuLoop = async (vu: number) => {
    for (let own = 0; running() && vu <= wanted; own++) {
      if (plan.iterationsPerVu !== undefined && own >= plan.iterationsPerVu) break;
      if (sharedLeft <= 0) break;
      sharedLeft--;
      const iteration = runIteration(run, wholeVu(plan, vu), wholeIndex(plan, started++), performance.now());
      inFlight.add(iteration);
      await iteration;
      inFlight.delete(iteration);
    }
    loops.delete(vu);
  };

  for (const step of plan.vuSteps) {
    await waitUntil(startAtMs + step.atMs, signal);
    if (!running()) break;
    wanted = step.vus;
    for (let vu = 1; vu <= wanted; vu++) if (!loops.has(vu)) loops.set(vu, vuLoop(vu));
  }
  // Iteration budgets may finish before the duration; otherwise stop at its end. The end wait is
  // cancelled either way, or its timer would hold the process for up to maxDuration.
  const endWait = new AbortController();
  const stop = () => endWait.abort();
  const unsubscribe = onAbort(signal, stop);
  await Promise.race([Promise.all(loops.values()), waitUntil(endAtMs, endWait.signal)]);
  stop();
  unsubscribe();
  wanted = 0;
  const interrupted = await settleWithin(inFlight, signal?.aborted ? 0 : gracefulStopMs);
  run.closed = true;
  const at = performance.now();
  run.seriesAt(at).addInterrupted(interrupted, at);
  return { started, dropped: 0, interrupted };
}
