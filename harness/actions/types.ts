/** The action contract: options checked up front, then run against the stack, with an optional revert. */
import type { Redis } from "ioredis";
import type { StartedStack } from "../../containers/types.ts";

export interface ActionContext {
  stack: StartedStack;
  /** The harness's own Redis connection (not the workload's). */
  redis: Redis;
  cachePrefix: string;
}

export type ActionResult = Record<string, string | number | boolean | null>;

export interface ActionRun {
  result: ActionResult;
  /** Undo what the action did; called when its duration ends, or at once on abort. */
  revert?: () => Promise<ActionResult | undefined>;
}

export interface ActionKind {
  /** Options besides at/action/duration; each problem named (`actions[2].service: ...`). */
  validate(options: Record<string, unknown>, where: string, hasDuration: boolean): string[];
  /** true: the action needs a duration and is reverted at its end. */
  needsDuration: boolean;
  run(context: ActionContext, options: Record<string, unknown>): Promise<ActionRun>;
}
