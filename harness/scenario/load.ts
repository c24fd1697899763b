/**
 * Loads a scenario script from any path (Node strips its types; its imports
 * resolve as usual) and validates all of it, reporting every problem with the
 * file and field, before any server starts.
 */
import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { resolveStackSettings, type StackSettings } from "../../containers/settings.ts";
import { type DbSettings, DEFAULT_DB_SETTINGS } from "../clients/db.ts";
import { BadInputError } from "../errors.ts";
import type { Executor } from "../executors/index.ts";
import { type Op, planLoad } from "../runner/run-load.ts";
import { type ParsedThreshold, parseThresholds } from "../thresholds/parse.ts";
import { saasOps } from "../workloads/saas/ops.ts";
import { seedShape } from "../workloads/saas/schema.ts";
import type { ScenarioDefinition } from "./define.ts";
import { scaleDurations } from "./duration-scale.ts";

export interface LoadedScenario {
  name: string;
  file: string;
  settings: StackSettings;
  seedScale: number;
  ops: Record<string, Op>;
  executors: Executor[];
  thresholds: ParsedThreshold[];
  client: DbSettings;
  cachePrefix: string;
}

export async function loadScenario(file: string, durationScale: number): Promise<LoadedScenario> {
  const path = resolve(file);
  if (!existsSync(path)) throw new BadInputError(`scenario ${file}`, ["file does not exist"]);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new BadInputError(`scenario ${file}`, [`cannot be loaded: ${(error as Error).message.split("\n")[0]}`]);
  }
  const definition = module.default as ScenarioDefinition | undefined;
  if (!definition || typeof definition !== "object") {
    throw new BadInputError(`scenario ${file}`, ["must `export default defineScenario({...})`"]);
  }
  return validate(definition, path, file, durationScale);
}

function validate(d: ScenarioDefinition, path: string, file: string, durationScale: number): LoadedScenario {
  const problems: string[] = [];
  const workload = d.workload ?? {};
  if (!d.workload) problems.push("workload: is required ({ reference: 'saas' } or { ops: {...} })");
  if (workload.reference !== undefined && workload.reference !== "saas") {
    problems.push(`workload.reference: '${String(workload.reference)}' is not a built-in workload (saas)`);
  }
  const seedScale = d.seed?.scale ?? 0;
  if (!Number.isInteger(seedScale) || seedScale < 0) problems.push("seed.scale: must be a whole number ≥ 0");
  if (workload.reference === "saas" && seedScale === 0)
    problems.push("seed.scale: the saas workload needs seeded data");
  const ops: Record<string, Op> = {
    ...(workload.reference === "saas" ? saasOps(seedShape(seedScale)) : {}),
    ...workload.ops,
  };
  for (const [name, op] of Object.entries(ops))
    if (typeof op !== "function") problems.push(`workload.ops.${name}: must be a function`);
  const client = { ...DEFAULT_DB_SETTINGS, ...workload.client };
  if (!Number.isInteger(client.poolSize) || client.poolSize < 1)
    problems.push("workload.client.poolSize: must be a whole number ≥ 1");

  const scenarios = Object.fromEntries(
    Object.entries(d.scenarios ?? {}).map(([name, options]) => [
      name,
      scaleDurations(options as unknown as Record<string, unknown>, durationScale),
    ]),
  );
  let executors: Executor[] = [];
  try {
    executors = planLoad(scenarios, ops, file);
  } catch (error) {
    if (!(error instanceof BadInputError)) throw error;
    problems.push(...error.problems);
  }
  const thresholds = parseThresholds(d.thresholds ?? {}, { ops: Object.keys(ops) });
  problems.push(...thresholds.problems);
  if (problems.length > 0) throw new BadInputError(`scenario ${file}`, problems);
  return {
    name: d.name ?? basename(path).replace(/\.[cm]?[jt]s$/, ""),
    file: path,
    settings: resolveStackSettings(d.stack),
    seedScale,
    ops,
    executors,
    thresholds: thresholds.thresholds,
    client,
    cachePrefix: workload.cachePrefix ?? "rehearse:",
  };
}
