/** --duration-scale: stretch or shrink every duration in the k6 scenario options. */
import { parseDuration } from "../../core/duration.ts";

const DURATION_FIELDS = ["duration", "startTime", "gracefulStop", "maxDuration", "gracefulRampDown"];

function scaled(value: unknown, factor: number): unknown {
  const ms = parseDuration(value);
  return typeof ms === "number" ? `${Math.round(ms * factor)}ms` : value; // bad values stay for validation to report
}

export function scaleDurations(options: Record<string, unknown>, factor: number): Record<string, unknown> {
  if (factor === 1) return options;
  const out: Record<string, unknown> = { ...options };
  for (const field of DURATION_FIELDS) if (out[field] !== undefined) out[field] = scaled(out[field], factor);
  if (Array.isArray(out.stages)) {
    out.stages = out.stages.map((stage: Record<string, unknown>) =>
      stage && typeof stage === "object" ? { ...stage, duration: scaled(stage.duration, factor) } : stage,
    );
  }
  return out;
}
