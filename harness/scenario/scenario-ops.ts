/**
 * A scenario's ops: the reference workload's (when it names one) with the
 * scenario's own over them. The loader validates them; a deploy burst's
 * worker process only needs them, so it imports this, not the loader.
 */
import type { Op } from "../clients/op-context.ts";
import { saasOps } from "../workloads/saas/ops.ts";
import { seedShape } from "../workloads/saas/schema.ts";
import type { ScenarioDefinition } from "./define.ts";
import { importScenarioFile } from "./import-scenario.ts";

/** The reference workload's scale; 0 when the scenario seeds with a function of its own or not at all. */
export function seedScaleOf(seed: ScenarioDefinition["seed"]): number {
  return typeof seed === "object" && seed !== null ? seed.scale : 0;
}

export function scenarioOps(d: Pick<ScenarioDefinition, "workload" | "seed">): Record<string, Op> {
  const workload = d.workload ?? {};
  return {
    ...(workload.reference === "saas" ? saasOps(seedShape(seedScaleOf(d.seed)), workload.cacheTtlSeconds) : {}),
    ...workload.ops,
  };
}

/** The ops of a scenario file that the loader has already validated in the parent process. */
export async function importScenarioOps(file: string): Promise<Record<string, Op>> {
  const module = await importScenarioFile(file);
  return scenarioOps(module.default as ScenarioDefinition);
}
