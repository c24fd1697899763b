/**
 * A lock-taking migration, run straight at Postgres as deploy tools do: in one
 * transaction with `lock_timeout` (so a migration stuck behind a long reader
 * gives up instead of queueing every query behind its lock request), and an
 * optional `hold` that keeps the lock, as a slow migration would.
 */
import pg from "pg";
import type { MigrationOutcome } from "../../../reports/schema.ts";
import { classifyError } from "../../clients/classify-error.ts";
import { actionKind } from "../types.ts";
import { type MigrationSpec, migrationSchema } from "./options.ts";

/** A bound on the whole migration, whatever the SQL does. */
const STATEMENT_TIMEOUT_MS = 15 * 60_000;

export type { MigrationSpec };

/** Runs the migration; never throws: a lock timeout is an outcome to report, not a crash. */
export async function runMigration(postgresUrl: string, spec: MigrationSpec): Promise<MigrationOutcome> {
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
    const migrationMs = Math.round(performance.now() - t0);
    return { migrated: true, lockAcquiredMs: lockedAfterMs, holdMs: migrationMs - lockedAfterMs, migrationMs };
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

export const migration = actionKind<"migration", MigrationSpec>({
  needsDuration: false,
  options: migrationSchema,
  async run({ stack }, spec) {
    return { result: await runMigration(stack.urls.postgres, spec) };
  },
});
