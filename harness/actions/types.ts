/** The action contract: options checked up front, then run against the stack, with an optional revert. */
import type { Redis } from "ioredis";
import type { StartedStack } from "../../containers/types.ts";
import type { DbSettings } from "../clients/db.ts";

export interface ActionContext {
  stack: StartedStack;
  /** The harness's own Redis connection (not the workload's). */
  redis: Redis;
  cachePrefix: string;
  /** The scenario's file (deploy workers load its ops in their own process) and client settings. */
  scenarioFile: string;
  client: DbSettings;
  /** Aborted when the run stops: long actions give up their remaining work (set by runActions). */
  signal: AbortSignal;
}

export type ActionResult = Record<string, string | number | boolean | null>;

export interface ActionRun {
  result: ActionResult;
  /** Undo what the action did; called when its duration ends, or at once on abort. */
  revert?: () => Promise<ActionResult | undefined>;
}

/** What the scenario said besides the action's own options. */
export interface ActionTiming {
  /** The action's duration (scaled), if it has one. */
  durationMs: number | undefined;
}

/** What the scenario defines that actions may refer to. */
export interface ScenarioNames {
  ops: string[];
}

export interface ActionKind {
  /** Options besides at/action/duration; each problem named (`actions[2].service: ...`). */
  validate(options: Record<string, unknown>, where: string, names: ScenarioNames): string[];
  /** true: the action needs a duration and is reverted at its end. */
  needsDuration: boolean;
  run(context: ActionContext, options: Record<string, unknown>, timing: ActionTiming): Promise<ActionRun>;
}
