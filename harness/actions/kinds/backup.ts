/** An overlapping backup: a real pg_dump while the load runs, with an optional restore drill. */
import { z } from "zod";
import { queryOnce } from "../../../containers/probes.ts";
import { flag } from "../../../core/validation.ts";
import type { ActionOutcome, ActionResults } from "../../../reports/schema.ts";
import { type ActionRun, actionKind } from "../types.ts";

/** Where the dump goes: where the service's tools run (in the container, or this machine's temp dir). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
const DUMP_FILE = '"${TMPDIR:-/tmp}/rehearse-backup.dump"';
const SCRATCH_DB = "rehearse_restore_drill";
const MAX_TABLES = 100;

async function tableCounts(url: string): Promise<Map<string, number>> {
  const tables = await queryOnce(
    url,
    `SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1 LIMIT ${MAX_TABLES}`,
    10_000,
  );
  const counts = new Map<string, number>();
  for (const { t } of tables) {
    const [row] = await queryOnce(url, `SELECT count(*)::bigint AS n FROM ${String(t)}`, 60_000);
    counts.set(String(t), Number(row?.n ?? 0));
  }
  return counts;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A real pg_dump (custom format) of the application database while the load runs: exit code,
 * duration, size. With `restore: true`, a restore drill too: the dump restored into a scratch
 * database, the time until it answers, and every table's row count checked against the live
 * database before and after the dump (a snapshot's count lies between them).
 */
export const backup = actionKind<"backup", { restore: boolean }>({
  needsDuration: false,
  options: () => z.strictObject({ restore: flag().default(false) }),
  async run({ stack }, { restore: drill }): Promise<ActionRun<ActionResults["backup"]>> {
    const live = stack.urls.postgres;
    const before = drill ? await tableCounts(live) : undefined;
    const t0 = performance.now();
    const dump = await stack.exec("postgres", ["sh", "-c", `pg_dump -Fc -f ${DUMP_FILE} && wc -c < ${DUMP_FILE}`], {
      timeoutMs: 30 * 60_000,
    });
    const result: ActionResults["backup"] & ActionOutcome = {
      exitCode: dump.exitCode,
      durationMs: Math.round(performance.now() - t0),
      bytes: dump.exitCode === 0 ? Number(dump.stdout.trim()) : null,
    };
    try {
      if (dump.exitCode !== 0) {
        result.error = dump.stderr.trim().slice(0, 500);
        return { result };
      }
      if (!before) return { result };
      const after = await tableCounts(live);
      const r0 = performance.now();
      const restore = await stack.exec(
        "postgres",
        [
          "sh",
          "-c",
          `dropdb --if-exists ${SCRATCH_DB} && createdb ${SCRATCH_DB} && pg_restore --no-owner -d ${SCRATCH_DB} ${DUMP_FILE}`,
        ],
        { timeoutMs: 30 * 60_000 },
      );
      result.restoreExitCode = restore.exitCode;
      if (restore.exitCode !== 0) {
        result.error = restore.stderr.trim().slice(0, 500);
        return { result };
      }
      const restored = await tableCounts(withDatabase(live, SCRATCH_DB));
      result.timeToUsableMs = Math.round(performance.now() - r0);
      const wrong = [...before.keys()].filter((t) => {
        const n = restored.get(t) ?? -1;
        return (
          n < Math.min(before.get(t) ?? 0, after.get(t) ?? 0) || n > Math.max(before.get(t) ?? 0, after.get(t) ?? 0)
        );
      });
      result.tablesChecked = before.size;
      result.rowCountsOk = wrong.length === 0;
      if (wrong.length > 0) result.rowCountMismatch = wrong.join(",");
      return { result };
    } finally {
      await stack
        .exec("postgres", ["sh", "-c", `rm -f ${DUMP_FILE}; dropdb --if-exists ${SCRATCH_DB}`])
        .catch(() => {});
    }
  },
});
