/** The action contract: options parsed once by a schema, then run against the stack, with an optional revert. */
import type { Redis } from "ioredis";
import type { z } from "zod";
import type { StartedStack } from "../../containers/types.ts";
import type { ActionName, ActionResults } from "../../reports/schema.ts";
import type { AppFleet } from "../app/app-fleet.ts";
import type { DbSettings } from "../clients/db.ts";
import type { RunClock } from "../run/run-clock.ts";

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
  /** The run's clock: what an action records of its own moments goes on the report's clock. */
  clock: RunClock;
}

export interface ActionRun<R> {
  result: R;
  /** Undo what the action did; called when its duration ends, or at once on abort. */
  revert?: () => Promise<Partial<R> | undefined>;
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

/**
 * One kind of action, as its module defines it (k6's config-per-executor): a schema parses the raw options
 * into the kind's own typed value `T` (or gives every problem), which is all `run` ever sees; `run` gives the
 * kind's own result type (reports/action-schema.ts).
 */
export interface ActionKindSpec<N extends ActionName, T> {
  /** true: the action needs a duration and is reverted at its end. */
  needsDuration: boolean;
  /** The options besides at/action/duration/allowExternal/optional; unknown ones are mistakes. */
  options: (names: ScenarioNames) => z.ZodType<T>;
  run(context: ActionContext, options: T, timing: ActionTiming): Promise<ActionRun<ActionResults[N]>>;
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
  run(context: ActionContext, timing: ActionTiming): Promise<ActionRun<Record<string, unknown>>>;
  onExternal: ExternalUse;
  /** What it would change, in words, for the run's first lines on an external target. */
  describe: string;
}

/** A kind with its option type hidden, so kinds of different types sit in one registry. */
export interface ActionKind {
  needsDuration: boolean;
  /** The options parsed and bound, or every problem (each a field path relative to the action). */
  bind(
    options: Record<string, unknown>,
    names: ScenarioNames,
  ): { action: BoundAction } | { issues: z.core.$ZodIssue[] };
}

export function actionKind<N extends ActionName, T>(spec: ActionKindSpec<N, T>): ActionKind {
  return {
    needsDuration: spec.needsDuration,
    bind(raw, names): { action: BoundAction } | { issues: z.core.$ZodIssue[] } {
      const parsed = spec.options(names).safeParse(raw);
      if (!parsed.success) return { issues: parsed.error.issues };
      const options = parsed.data;
      return {
        action: {
          run: (context, timing) => spec.run(context, options, timing) as Promise<ActionRun<Record<string, unknown>>>,
          onExternal: spec.onExternal?.(options) ?? "opt-in",
          describe: describeOptions(raw),
        },
      };
    },
  };
}

/** "scope=all", "sql=ALTER TABLE …": the options as the scenario gave them, short. */
function describeOptions(raw: Record<string, unknown>): string {
  return Object.entries(raw)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ")
    .slice(0, 200);
}
