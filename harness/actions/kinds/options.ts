/** Option checks the action kinds share; each returns problems naming the field (`actions[2].service: ...`). */
import { SERVICE_NAMES, type ServiceName } from "../../../containers/types.ts";
import { parseDuration } from "../../../core/duration.ts";

import type { Check, ScenarioNames } from "../types.ts";

export function serviceOption(options: Record<string, unknown>, where: string, names?: ScenarioNames): string[] {
  if (options.service === "app") return names?.app ? [] : [`${where}.service: "app" needs the scenario's app block`];
  return SERVICE_NAMES.includes(options.service as ServiceName)
    ? []
    : [`${where}.service: must be one of ${SERVICE_NAMES.join(", ")}${names?.app ? ", app" : ""}`];
}

/** Unknown options are mistakes (a typo would otherwise silently do nothing). */
export function onlyOptions(names: string[]): Check {
  return (options, where) =>
    Object.keys(options)
      .filter((k) => !names.includes(k))
      .map((k) => `${where}.${k}: unknown option`);
}

export function all(...checks: Check[]): Check {
  return (options, where, names) => checks.flatMap((check) => check(options, where, names));
}

export function intOption(name: string, min: number, max: number, required = false): Check {
  return (options, where) => {
    const value = options[name];
    if (value === undefined) return required ? [`${where}.${name}: required (an integer ${min}–${max})`] : [];
    return Number.isInteger(value) && (value as number) >= min && (value as number) <= max
      ? []
      : [`${where}.${name}: must be an integer ${min}–${max}`];
  };
}

export function oneOf(name: string, values: readonly string[]): Check {
  return (options, where) =>
    options[name] === undefined || values.includes(options[name] as string)
      ? []
      : [`${where}.${name}: must be one of ${values.map((v) => `"${v}"`).join(", ")}`];
}

export function durationOption(name: string): Check {
  return (options, where) => {
    if (options[name] === undefined) return [];
    const parsed = parseDuration(options[name]);
    return typeof parsed === "string" ? [`${where}.${name}: ${parsed}`] : [];
  };
}

/** A duration option in ms, or the fallback. Only called after validation. */
export function durationMsOf(value: unknown, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const parsed = parseDuration(value);
  return typeof parsed === "number" ? parsed : fallbackMs;
}
