/** constant-arrival-rate and ramping-arrival-rate (open loop). */
import { formatDuration } from "../../core/duration.ts";
import { type Executor, newReader, type OpenLoopPlan, readBase } from "./executor.ts";
import { arrivalOffsets } from "./schedule.ts";

function vuLimits(reader: ReturnType<typeof newReader>) {
  const preAllocatedVUs = reader.integer("preAllocatedVUs", undefined, 1);
  const maxVUs = reader.integer("maxVUs", preAllocatedVUs, 1);
  if (maxVUs < preAllocatedVUs) reader.report("maxVUs", `(${maxVUs}) is below preAllocatedVUs (${preAllocatedVUs})`);
  return { preAllocatedVUs, maxVUs };
}

export function constantArrivalRate(scenario: string, raw: Record<string, unknown>): Executor {
  const reader = newReader(raw, scenario);
  const base = readBase(reader, scenario);
  const rate = reader.integer("rate", undefined, 1);
  const timeUnitMs = reader.durationMs("timeUnit", "1s");
  const durationMs = reader.durationMs("duration");
  const vus = vuLimits(reader);
  reader.rejectUnknown();
  if (timeUnitMs <= 0) reader.report("timeUnit", "must be longer than 0");
  const perMs = timeUnitMs > 0 ? rate / timeUnitMs : 0;
  return {
    ...base,
    type: "constant-arrival-rate",
    validate: () => reader.problems,
    describe: () =>
      `${rate} iterations/${formatDuration(timeUnitMs)} for ${formatDuration(durationMs)} (maxVUs: ${vus.maxVUs}, gracefulStop: ${formatDuration(base.gracefulStopMs)})`,
    plan: (): OpenLoopPlan => ({
      kind: "open",
      arrivals: () => arrivalOffsets(perMs, [{ target: perMs, durationMs }]),
      ...vus,
      durationMs,
      targetRatePerSec: perMs * 1000,
    }),
  };
}

export function rampingArrivalRate(scenario: string, raw: Record<string, unknown>): Executor {
  const reader = newReader(raw, scenario);
  const base = readBase(reader, scenario);
  const startRate = reader.integer("startRate", 0);
  const timeUnitMs = reader.durationMs("timeUnit", "1s");
  const stages = reader.stages("stages");
  const vus = vuLimits(reader);
  reader.rejectUnknown();
  if (timeUnitMs <= 0) reader.report("timeUnit", "must be longer than 0");
  const perMs = (n: number) => (timeUnitMs > 0 ? n / timeUnitMs : 0);
  const durationMs = stages.reduce((sum, s) => sum + s.durationMs, 0);
  const rateStages = stages.map((s) => ({ target: perMs(s.target), durationMs: s.durationMs }));
  const maxRate = Math.max(startRate, ...stages.map((s) => s.target));
  const total = rateStages.reduce(
    (acc, s) => ({ rate: s.target, n: acc.n + ((acc.rate + s.target) / 2) * s.durationMs }),
    { rate: perMs(startRate), n: 0 },
  ).n;
  return {
    ...base,
    type: "ramping-arrival-rate",
    validate: () => reader.problems,
    describe: () =>
      `Up to ${maxRate} iterations/${formatDuration(timeUnitMs)} over ${stages.length} stages for ${formatDuration(durationMs)} (maxVUs: ${vus.maxVUs}, gracefulStop: ${formatDuration(base.gracefulStopMs)})`,
    plan: (): OpenLoopPlan => ({
      kind: "open",
      arrivals: () => arrivalOffsets(perMs(startRate), rateStages),
      ...vus,
      durationMs,
      targetRatePerSec: durationMs > 0 ? (total / durationMs) * 1000 : 0,
    }),
  };
}
