/**
 * The first set of actions: cold cache (flush, restart Redis, maxmemory
 * squeeze), cold database (restart Postgres), service faults (freeze,
 * restart, PgBouncer PAUSE/RESUME) and a real pg_dump overlapping the load.
 */
import { queryOnce } from "../../containers/probes.ts";
import { SERVICE_NAMES, type ServiceName } from "../../containers/types.ts";
import type { ActionContext, ActionKind, ActionResult, ActionRun } from "./types.ts";

const SCAN_BATCH = 1_000;
const MAX_SCAN_ROUNDS = 100_000; // bounded: 100M keys

function serviceOption(options: Record<string, unknown>, where: string): string[] {
  return SERVICE_NAMES.includes(options.service as ServiceName)
    ? []
    : [`${where}.service: must be one of ${SERVICE_NAMES.join(", ")}`];
}

function noOptions(names: string[]) {
  return (options: Record<string, unknown>, where: string): string[] =>
    Object.keys(options)
      .filter((k) => !names.includes(k))
      .map((k) => `${where}.${k}: unknown option`);
}

/** Deletes the workload's keys (SCAN + UNLINK, bounded) or everything (FLUSHALL). */
const flushCache: ActionKind = {
  needsDuration: false,
  validate: (options, where) => [
    ...noOptions(["scope", "mode"])(options, where),
    ...(options.scope === undefined || options.scope === "prefix" || options.scope === "all"
      ? []
      : [`${where}.scope: must be "prefix" (default) or "all"`]),
    ...(options.mode === undefined || options.mode === "async" || options.mode === "sync"
      ? []
      : [`${where}.mode: must be "async" (default) or "sync"`]),
  ],
  async run({ redis, cachePrefix }: ActionContext, options): Promise<ActionRun> {
    const mode = options.mode === "sync" ? "SYNC" : "ASYNC";
    if (options.scope === "all") {
      const before = await redis.dbsize();
      if (mode === "SYNC") await redis.flushall("SYNC");
      else await redis.flushall("ASYNC");
      return { result: { scope: "all", mode: mode.toLowerCase(), keysRemoved: before } };
    }
    let cursor = "0";
    let removed = 0;
    for (let round = 0; round < MAX_SCAN_ROUNDS; round++) {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${cachePrefix}*`, "COUNT", SCAN_BATCH);
      if (keys.length > 0) removed += mode === "SYNC" ? await redis.del(...keys) : await redis.unlink(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
    return { result: { scope: "prefix", prefix: cachePrefix, mode: mode.toLowerCase(), keysRemoved: removed } };
  },
};

const restart: ActionKind = {
  needsDuration: false,
  validate: (options, where) => [...noOptions(["service"])(options, where), ...serviceOption(options, where)],
  async run({ stack }, options) {
    const t0 = performance.now();
    await stack.restart(options.service as ServiceName);
    return { result: { service: String(options.service), downMs: Math.round(performance.now() - t0) } };
  },
};

const freeze: ActionKind = {
  needsDuration: true,
  validate: (options, where) => [...noOptions(["service"])(options, where), ...serviceOption(options, where)],
  async run({ stack }, options) {
    const service = options.service as ServiceName;
    await stack.pause(service);
    return {
      result: { service },
      revert: async () => {
        await stack.unpause(service);
        return undefined;
      },
    };
  },
};

/** PgBouncer's PAUSE (waits for running transactions, then holds new ones) and RESUME. */
const pgbouncerPause: ActionKind = {
  needsDuration: true,
  validate: noOptions([]),
  async run({ stack }) {
    await stack.pgbouncerAdmin("PAUSE");
    return {
      result: { command: "PAUSE" },
      revert: async () => {
        await stack.pgbouncerAdmin("RESUME");
        return undefined;
      },
    };
  },
};

/** Squeezes Redis' maxmemory (forcing evictions under an eviction policy); restores it after. */
const maxmemory: ActionKind = {
  needsDuration: true,
  validate: (options, where) => [
    ...noOptions(["value", "policy"])(options, where),
    ...(typeof options.value === "string" && /^\d+(b|kb|mb|gb)?$/i.test(options.value)
      ? []
      : [`${where}.value: must be a size such as "2mb"`]),
  ],
  async run({ redis }, options) {
    const [, oldValue = "0"] = (await redis.config("GET", "maxmemory")) as string[];
    const [, oldPolicy = "noeviction"] = (await redis.config("GET", "maxmemory-policy")) as string[];
    await redis.config("SET", "maxmemory", String(options.value));
    if (typeof options.policy === "string") await redis.config("SET", "maxmemory-policy", options.policy);
    return {
      result: { value: String(options.value), previous: oldValue, policy: String(options.policy ?? oldPolicy) },
      revert: async () => {
        await redis.config("SET", "maxmemory", oldValue);
        await redis.config("SET", "maxmemory-policy", oldPolicy);
        const info = await redis.info("stats");
        return { evictedKeys: Number(/evicted_keys:(\d+)/.exec(info)?.[1] ?? 0) };
      },
    };
  },
};

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
const backup: ActionKind = {
  needsDuration: false,
  validate: (options, where) => [
    ...noOptions(["restore"])(options, where),
    ...(options.restore === undefined || typeof options.restore === "boolean"
      ? []
      : [`${where}.restore: must be true or false`]),
  ],
  async run({ stack }, options): Promise<ActionRun> {
    const live = stack.urls.postgres;
    const before = options.restore ? await tableCounts(live) : undefined;
    const t0 = performance.now();
    const dump = await stack.exec("postgres", ["sh", "-c", `pg_dump -Fc -f ${DUMP_FILE} && wc -c < ${DUMP_FILE}`], {
      timeoutMs: 30 * 60_000,
    });
    const result: ActionResult = {
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
};

export const ACTION_KINDS: Record<string, ActionKind> = {
  "flush-cache": flushCache,
  restart,
  freeze,
  "pgbouncer-pause": pgbouncerPause,
  maxmemory,
  backup,
};
