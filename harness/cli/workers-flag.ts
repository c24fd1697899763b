/**
 * `rehearse run|capacity --workers N|auto`: how many threads drive the load. Each runs an interleaved segment of every
 * executor with its own clients; the sampler, actions, app fleet and progress stay in the main thread.
 */
import { availableParallelism } from "node:os";
import { segmentProblems } from "../executors/segment.ts";
import type { LoadedScenario } from "../scenario/load.ts";

export const WORKERS_OPTIONS = { workers: { type: "string" } } as const;

/** More threads than this is a typo (each holds a share of the pool, and a Redis connection). */
export const MAX_WORKERS = 64;

export const WORKERS_FLAG_HELP = `  --workers <n|auto>       threads that drive the load (default auto: a quarter of the cores when the stack
                           and the app run on this machine, all but one against a --target); each runs an
                           interleaved share of every executor with its share of the scenario's poolSize`;

export type WorkersFlag = number | "auto";

export function readWorkersFlag(value: string | undefined, problems: string[]): WorkersFlag {
  if (value === undefined || value === "auto") return "auto";
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    problems.push(`--workers: '${value}' is not auto or a whole number from 1 to ${MAX_WORKERS}`);
    return 1;
  }
  return n;
}

export interface WorkersChoice {
  count: number;
  why: string;
}

/** `auto`: the servers under test and the app share a local machine's cores with the generator, so it takes a
 * quarter of them; against a target elsewhere, all but one (the main thread's sampler and progress). */
export function resolveWorkers(flag: WorkersFlag, external: boolean, cores = availableParallelism()): WorkersChoice {
  if (flag !== "auto") return { count: flag, why: "--workers" };
  const count = Math.max(1, Math.min(MAX_WORKERS, external ? cores - 1 : Math.floor(cores / 4)));
  const where = external ? "the stack is a --target elsewhere" : "the stack and the app run on this machine too";
  return { count, why: `auto: ${cores} core${cores === 1 ? "" : "s"}, ${where}` };
}

/** Executors whose schedule cannot be split over the workers of every part (a segment without a VU). */
export function workersProblems(scenario: LoadedScenario, workers: number, parts: number): string[] {
  if (workers <= 1) return [];
  return segmentProblems(scenario.executors, workers * parts).map(
    (p) => `${p} (--workers ${workers}${parts > 1 ? ` × ${parts} segments` : ""})`,
  );
}

export function workersLine(scenario: string, choice: WorkersChoice, command = "run"): string {
  const threads = choice.count === 1 ? "the main thread" : `${choice.count} worker threads`;
  return `rehearse ${command}: ${scenario}: load from ${threads} (${choice.why})`;
}
