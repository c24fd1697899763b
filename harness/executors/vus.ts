/** Closed-loop executors: constant-vus, ramping-vus, per-vu-iterations, shared-iterations. */
import { formatDuration } from "../../core/duration.ts";
import { type ClosedLoopPlan, type Executor, newReader, readBase } from "./executor.ts";
import { vuSteps } from "./schedule.ts";

export function constantVus(scenario: string, raw: Record<string, unknown>): Executor {
  const reader = newReader(raw, scenario);
  const base = readBase(reader, scenario);
  const vus = reader.integer("vus", 1, 1);
  const durationMs = reader.durationMs("duration");
  reader.rejectUnknown();
  return {
    ...base,
    type: "constant-vus",
    validate: () => reader.problems,
    describe: () =>
      `${vus} looping VUs for ${formatDuration(durationMs)} (gracefulStop: ${formatDuration(base.gracefulStopMs)})`,
    plan: (): ClosedLoopPlan => ({ kind: "closed", vuSteps: [{ atMs: 0, vus }], durationMs }),
  };
}

export function rampingVus(scenario: string, raw: Record<string, unknown>): Executor {
  const reader = newReader(raw, scenario);
  const base = readBase(reader, scenario);
  const startVUs = reader.integer("startVUs", 1);
  const stages = reader.stages("stages");
  // Accepted for k6 compatibility: VUs leaving a ramp-down finish their iteration (bounded by gracefulStop).
  reader.durationMs("gracefulRampDown", "30s");
  reader.rejectUnknown();
  const durationMs = stages.reduce((sum, s) => sum + s.durationMs, 0);
  const maxVus = Math.max(startVUs, ...stages.map((s) => s.target));
  return {
    ...base,
    type: "ramping-vus",
    validate: () => reader.problems,
    describe: () =>
      `Up to ${maxVus} looping VUs for ${formatDuration(durationMs)} over ${stages.length} stages (gracefulStop: ${formatDuration(base.gracefulStopMs)})`,
    plan: (): ClosedLoopPlan => ({ kind: "closed", vuSteps: vuSteps(startVUs, stages), durationMs }),
  };
}

function iterationsExecutor(type: "per-vu-iterations" | "shared-iterations") {
  return (scenario: string, raw: Record<string, unknown>): Executor => {
    const reader = newReader(raw, scenario);
    const base = readBase(reader, scenario);
    const vus = reader.integer("vus", 1, 1);
    const iterations = reader.integer("iterations", 1, 1);
    const maxDurationMs = reader.durationMs("maxDuration", "10m");
    reader.rejectUnknown();
    if (type === "shared-iterations" && iterations < vus) {
      reader.report("iterations", `(${iterations}) must be at least vus (${vus})`);
    }
    const what =
      type === "per-vu-iterations"
        ? `${iterations} iterations for each of ${vus} VUs`
        : `${iterations} iterations shared among ${vus} VUs`;
    return {
      ...base,
      type,
      validate: () => reader.problems,
      describe: () =>
        `${what} (maxDuration: ${formatDuration(maxDurationMs)}, gracefulStop: ${formatDuration(base.gracefulStopMs)})`,
      plan: (): ClosedLoopPlan => ({
        kind: "closed",
        vuSteps: [{ atMs: 0, vus }],
        durationMs: maxDurationMs,
        ...(type === "per-vu-iterations" ? { iterationsPerVu: iterations } : { sharedIterations: iterations }),
      }),
    };
  };
}

export const perVuIterations = iterationsExecutor("per-vu-iterations");
export const sharedIterations = iterationsExecutor("shared-iterations");
