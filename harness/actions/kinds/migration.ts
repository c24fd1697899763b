/**
 * A lock-taking migration, run straight at Postgres as deploy tools do: in one
 * transaction with `lock_timeout` (so a migration stuck behind a long reader
 * gives up instead of queueing every query behind its lock request), and an
 * optional `hold` that keeps the lock, as a slow migration would.
 */
import pg from "pg";
import { classifyError } from "../../clients/classify-error.ts";
import { type ActionResult, actionKind, type Check } from "../types.ts";
import { all, durationMsOf, durationOption, onlyOptions } from "./options.ts";

const DEFAULT_LOCK_TIMEOUT_MS = 5_000;
const MAX_HOLD_MS = 10 * 60_000;
/** A bound on the whole migration, whatever the SQL does. */
const STATEMENT_TIMEOUT_MS = 15 * 60_000;

export interface MigrationSpec {
  sql: string;
  lockTimeoutMs: number;
  holdMs: number;
}

export const migrationChecks = all(
  (options, where) =>
    typeof options.sql === "string" && options.sql.trim() !== ""
      ? []
      : [`${where}.sql: the migration's SQL is required (e.g. "ALTER TABLE events ADD COLUMN note text")`],
  durationOption("lockTimeout"),
  durationOption("hold"),
  (options, where) =>
    durationMsOf(options.hold, 0) > MAX_HOLD_MS ? [`${where}.hold: at most ${MAX_HOLD_MS / 60_000} minutes`] : [],
);

/** A `migration: { sql, lockTimeout?, hold? }` option, as deploy-burst and app-restart take. */
export const migrationOption: Check = (options, where, names) => {
  if (options.migration === undefined) return [];
  if (typeof options.migration !== "object" || options.migration === null)
    return [`${where}.migration: must be { sql, lockTimeout?, hold? }`];
  const m = options.migration as Record<string, unknown>;
  return all(onlyOptions(["sql", "lockTimeout", "hold"]), migrationChecks)(m, `${where}.migration`, names);
};

export function migrationSpec(options: Record<string, unknown>): MigrationSpec {
  return {
    sql: String(options.sql),
    lockTimeoutMs: durationMsOf(options.lockTimeout, DEFAULT_LOCK_TIMEOUT_MS),
    holdMs: durationMsOf(options.hold, 0),
  };
}

/** Runs the migration; never throws: a lock timeout is an outcome to report, not a crash. */
export async function runMigration(postgresUrl: string, spec: MigrationSpec): Promise<ActionResult> {
  const client = new pg.Client({ connectionString: postgresUrl, statement_timeout: STATEMENT_TIMEOUT_MS });
  client.on("error", () => {});
  const t0 = performance.now();
  try {
    await client.connect();
    await client.query("BEGIN");
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(spec.lockTimeoutMs))}`);
    await client.query(spec.sql);
    const lockedAfterMs = Math.round(performance.now() - t0);
    if (spec.holdMs > 0) await client.query("SELECT pg_sleep($1)", [spec.holdMs / 1000]);
    await client.query("COMMIT");
    return { migrated: true, lockAcquiredMs: lockedAfterMs, migrationMs: Math.round(performance.now() - t0) };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return {
      migrated: false,
      // 55P03: lock_not_available, what lock_timeout raises.
      lockTimedOut: code === "55P03",
      migrationError: `${code ?? classifyError(error)}: ${(error as Error).message}`.slice(0, 300),
      migrationMs: Math.round(performance.now() - t0),
    };
  } finally {
    await client.end().catch(() => {});
  }
}

export const migration = actionKind({
  needsDuration: false,
  validate: all(onlyOptions(["sql", "lockTimeout", "hold"]), migrationChecks),
  parse: migrationSpec,
  async run({ stack }, spec) {
    return { result: await runMigration(stack.urls.postgres, spec) };
  },
});
