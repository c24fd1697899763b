/** The action contract: options checked up front, then run against the stack, with an optional revert. */
import type { Redis } from "ioredis";
import type { StartedStack } from "../../containers/types.ts";
import type { AppFleet } from "../app/app-fleet.ts";
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
  /** The app under test's instances, when rehearse started them. */
  app: AppFleet | undefined;
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
  /** The scenario has an app under test (app-level actions and `service: "app"` need one). */
  app?: boolean;
}

/** A problem check over an action's raw options; each problem names its field (`actions[2].service: ...`). */
export type Check = (options: Record<string, unknown>, where: string, names: ScenarioNames) => string[];

/**
 * One kind of action, as its module defines it (k6's config-per-executor): the raw options are
 * checked, then parsed once into the kind's own typed value `T`, which is all `run` ever sees.
 */
export interface ActionKindSpec<T> {
  /** true: the action needs a duration and is reverted at its end. */
  needsDuration: boolean;
  /** Options besides at/action/duration: every problem, each named. */
  validate: Check;
  /** Only called when `validate` found nothing. */
  parse(options: Record<string, unknown>): T;
  run(context: ActionContext, options: T, timing: ActionTiming): Promise<ActionRun>;
  /** What it may do to a stack rehearse does not own (default: "opt-in"). */
  onExternal?: (options: T) => ExternalUse;
}

/**
 * On an external target: "safe" runs as is (a flush limited to the workload's prefix); "opt-in" runs
 * with `allowExternal: true`; otherwise the reason it cannot run there at all.
 */
export type ExternalUse = "safe" | "opt-in" | { unsupported: string };

/** Why lifecycle chaos cannot run on an external target. */
export const NOT_OURS =
  "rehearse does not own an external target's servers: it cannot stop, start, freeze or kill them";

/** An action with its options parsed and bound, ready for the timeline. */
export interface BoundAction {
  run(context: ActionContext, timing: ActionTiming): Promise<ActionRun>;
  onExternal: ExternalUse;
}

/** A kind with its option type hidden, so kinds of different types sit in one registry. */
export interface ActionKind {
  needsDuration: boolean;
  validate: Check;
  bind(options: Record<string, unknown>): BoundAction;
}

export function actionKind<T>(spec: ActionKindSpec<T>): ActionKind {
  return {
    needsDuration: spec.needsDuration,
    validate: spec.validate,
    bind(raw) {
      const options = spec.parse(raw);
      return {
        run: (context, timing) => spec.run(context, options, timing),
        onExternal: spec.onExternal?.(options) ?? "opt-in",
      };
    },
  };
}
