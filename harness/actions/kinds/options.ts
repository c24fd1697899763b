/** Schema pieces the action kinds share; their problems name the option (`actions[2].service: ...`). */
import { z } from "zod";
import { SERVICE_NAMES, type ServiceName } from "../../../containers/types.ts";
import { duration, oneOf, wholeNumber } from "../../../core/validation.ts";
import type { ScenarioNames } from "../types.ts";

/** A kind without options of its own. */
export const noOptions = () => z.strictObject({});

/** `service`: one of the stack's, or "app" where the kind takes it and the scenario has an app. */
export function serviceOption(names: ScenarioNames, app: "allowed" | "not-here" = "allowed") {
  const choices = [...SERVICE_NAMES, ...(names.app && app === "allowed" ? ["app"] : [])];
  return z.string({ error: `is required: one of ${choices.join(", ")}` }).superRefine((value, ctx) => {
    if ((SERVICE_NAMES as readonly string[]).includes(value)) return;
    if (value === "app") {
      if (app === "not-here")
        ctx.addIssue({ code: "custom", message: "to restart the app, use the app-restart action (a deploy)" });
      else if (!names.app) ctx.addIssue({ code: "custom", message: `"app" needs the scenario's app block` });
      return;
    }
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not one of ${choices.join(", ")}` });
  }) as unknown as z.ZodType<ServiceName | "app">;
}

/** The action-level problem of an app-level action in a scenario without an app. */
export function needsApp<T extends z.ZodType>(schema: T, names: ScenarioNames): T {
  if (names.app) return schema;
  return schema.superRefine((_value, ctx) => {
    ctx.addIssue({ code: "custom", message: "needs the scenario's app block (the app under test)", path: [] });
  }) as T;
}

const DEFAULT_LOCK_TIMEOUT_MS = 5_000;
const MAX_HOLD_MS = 10 * 60_000;

export interface MigrationSpec {
  sql: string;
  lockTimeoutMs: number;
  holdMs: number;
}

/** `{ sql, lockTimeout?, hold? }`: a migration as deploy-burst, app-restart and the migration action take it. */
export const migrationSchema = () =>
  z
    .strictObject({
      sql: z
        .string({ error: 'is required: the migration\'s SQL (e.g. "ALTER TABLE events ADD COLUMN note text")' })
        .trim()
        .min(1, { error: 'is required: the migration\'s SQL (e.g. "ALTER TABLE events ADD COLUMN note text")' }),
      lockTimeout: duration().optional(),
      hold: duration()
        .refine((ms) => ms <= MAX_HOLD_MS, { error: `at most ${MAX_HOLD_MS / 60_000} minutes` })
        .optional(),
    })
    .transform(
      (m): MigrationSpec => ({
        sql: m.sql,
        lockTimeoutMs: m.lockTimeout ?? DEFAULT_LOCK_TIMEOUT_MS,
        holdMs: m.hold ?? 0,
      }),
    );

export { duration, oneOf, wholeNumber };
