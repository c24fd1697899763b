/**
 * Actions on the run's timeline: each starts at its offset, records when it
 * started and ended and what it did, and one with a duration is reverted at
 * its end, or at once when the run is aborted. On an external target only a
 * cache flush limited to the workload's prefix runs without `allowExternal`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { parseDuration } from "../../core/duration.ts";
import { describeIssues } from "../../core/validation.ts";
import type { ActionName, ActionRecord } from "../../reports/schema.ts";
import type { RunClock } from "../run/run-clock.ts";
import { ACTION_KINDS } from "./kinds/index.ts";
import type { ActionContext, BoundAction, ScenarioNames } from "./types.ts";

export type { ActionRecord };

export interface ActionSpec {
  /** Offset from the start of the load, e.g. "20s". */
  at: string;
  action: string;
  /** How long the fault lasts (freeze, pauses, squeezes); reverted after. */
  duration?: string;
  /** On an external target, this action may run (explicit opt-in). */
  allowExternal?: boolean;
  /** Its failure is reported but does not fail the run. */
  optional?: boolean;
  [option: string]: unknown;
}

export interface PlannedAction {
  /** `actions[2]`: where the scenario defines it, for messages. */
  where: string;
  name: ActionName;
  atMs: number;
  durationMs: number | undefined;
  allowExternal: boolean;
  optional: boolean;
  /** The action's options, parsed once into its kind's typed value and bound to its runner. */
  action: BoundAction;
}

/** Each action the external provider cannot run, or may run only with the opt-in it lacks: bad input. */
export function externalProblems(actions: PlannedAction[]): string[] {
  return actions.flatMap((a) => {
    const use = a.action.onExternal;
    if (typeof use === "object") return [`${a.where}: ${a.name} cannot run on an external target: ${use.unsupported}`];
    if (use === "opt-in" && !a.allowExternal)
      return [
        `${a.where}: ${a.name} on an external target needs \`allowExternal: true\` (chaos on a stack rehearse does not own is opt-in per action)`,
      ];
    return [];
  });
}

export function planActions(
  specs: unknown,
  scale: number,
  problems: string[],
  names: ScenarioNames = { ops: [] },
): PlannedAction[] {
  if (specs === undefined) return [];
  if (!Array.isArray(specs)) {
    problems.push("actions: must be a list of { at, action, ... }");
    return [];
  }
  const planned: PlannedAction[] = [];
  specs.forEach((raw: ActionSpec, i) => {
    const where = `actions[${i}]`;
    const { at, action, duration, allowExternal, optional, ...options } = raw ?? ({} as ActionSpec);
    const kind = typeof action === "string" ? ACTION_KINDS[action as ActionName] : undefined;
    if (!kind) {
      problems.push(`${where}.action: ${JSON.stringify(action)} is not one of ${Object.keys(ACTION_KINDS).join(", ")}`);
      return;
    }
    const atMs = parseDuration(at);
    if (typeof atMs === "string") problems.push(`${where}.at: ${atMs}`);
    const durationMs = duration === undefined ? undefined : parseDuration(duration);
    if (typeof durationMs === "string") problems.push(`${where}.duration: ${durationMs}`);
    if (kind.needsDuration && duration === undefined) problems.push(`${where}.duration: ${action} needs one`);
    for (const [flag, value] of [
      ["allowExternal", allowExternal],
      ["optional", optional],
    ] as const)
      if (value !== undefined && typeof value !== "boolean") problems.push(`${where}.${flag}: must be true or false`);
    const bound = kind.bind(options, names);
    if ("issues" in bound) problems.push(...describeIssues(bound.issues, where, { unknown: "option" }));
    if (typeof atMs === "number" && typeof durationMs !== "string" && "action" in bound) {
      planned.push({
        where,
        name: action as ActionName,
        atMs: atMs * scale,
        durationMs: durationMs === undefined ? undefined : durationMs * scale,
        allowExternal: allowExternal === true,
        optional: optional === true,
        action: bound.action,
      });
    }
  });
  return planned;
}

/** Runs every action on schedule on the run's clock; resolves when all have ended (and been reverted). */
export async function runActions(
  actions: PlannedAction[],
  context: Omit<ActionContext, "signal" | "clock">,
  clock: RunClock,
  signal: AbortSignal,
  /** Told when each action starts, holds its fault (it did its work and waits out its duration), and ends
   * (live progress): its label then, or undefined once it ended. */
  onChange: (index: number, label: string | undefined) => void = () => {},
): Promise<ActionRecord[]> {
  const records = await Promise.all(
    actions.map(async (action, index): Promise<ActionRecord | undefined> => {
      await sleep(Math.max(0, clock.dueAt(action.atMs) - performance.now()), undefined, { signal }).catch(() => {});
      if (signal.aborted) return undefined; // never started: nothing to undo
      // Never before its scheduled ms (a timer may fire a fraction early): it belongs to the phase it was
      // scheduled into, whose start is computed from the same offset.
      const startMs = Math.max(clock.atLoadOffset(action.atMs), clock.elapsed());
      // Checked before the run started (externalProblems); kept so nothing unchecked can reach a target.
      const use = action.action.onExternal;
      const guarded =
        context.stack.provider === "external" && use !== "safe" && (use !== "opt-in" || !action.allowExternal);
      if (guarded) {
        return record(action, startMs, startMs, { refused: "external target: set allowExternal: true on the action" });
      }
      let result: Record<string, unknown>;
      onChange(index, action.name);
      try {
        const run = await action.action.run({ ...context, signal, clock }, { durationMs: action.durationMs });
        result = { ...run.result };
        if (run.revert) {
          // Held for its duration from when it took effect (a burst's instances are ready only now).
          const until = clock.elapsed() + (action.durationMs ?? 0);
          onChange(index, `${action.name} (held until ${(until / 1000).toFixed(1)} s)`);
          // The fault lasts its duration, or until the run is aborted; it is undone either way.
          await sleep(action.durationMs ?? 0, undefined, { signal }).catch(() => {});
          try {
            Object.assign(result, (await run.revert()) ?? {}, { reverted: true });
          } catch (error) {
            result.revertError = (error as Error).message;
          }
        }
      } catch (error) {
        result = { error: (error as Error).message };
      }
      onChange(index, undefined);
      return record(action, startMs, Math.max(startMs, clock.elapsed()), result);
    }),
  );
  return records.filter((r): r is ActionRecord => r !== undefined);
}

/** The action's record; its result is the kind's own type (each kind's run() is typed by its name). */
function record(action: PlannedAction, startMs: number, endMs: number, result: Record<string, unknown>): ActionRecord {
  return {
    name: action.name,
    startMs,
    endMs,
    result,
    ...(action.optional && { optional: true as const }),
  } as ActionRecord;
}
