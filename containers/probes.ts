/**
 * Readiness: a service is ready when a real query answers. Each probe opens a
 * fresh connection with a short timeout and closes it; `waitUntilReady`
 * repeats a probe within a bounded time and count.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import pg from "pg";
import { AbortedError } from "../core/errors.ts";

const PROBE_TIMEOUT_MS = 2_000;

/** Runs one query on a fresh connection (simple protocol, so it also works on PgBouncer's console). */
export async function queryOnce(
  url: string,
  sql: string,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  // A dropped connection emits 'error' on the client; the awaited call below reports it.
  client.on("error", () => {});
  try {
    await client.connect();
    const result = await client.query(sql);
    return result.rows as Record<string, unknown>[];
  } finally {
    await client.end().catch(() => {});
  }
}

/** SHOW server_version; with `createDatabase`, first creates the URL's database if it is missing
 * (through the `postgres` maintenance database, which initdb always creates). */
export async function probePostgres(url: string, createDatabase = false): Promise<string> {
  if (createDatabase) {
    const target = new URL(url);
    const database = decodeURIComponent(target.pathname.slice(1));
    const maintenance = new URL(url);
    maintenance.pathname = "/postgres";
    const found = await queryOnce(
      maintenance.toString(),
      `SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(database)}`,
    );
    if (found.length === 0) await queryOnce(maintenance.toString(), `CREATE DATABASE ${quoteIdent(database)}`);
  }
  const rows = await queryOnce(url, "SHOW server_version");
  return String(rows[0]?.server_version ?? "unknown");
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function quoteIdent(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** SELECT 1 through PgBouncer (proves the path to Postgres), then its version from the console. */
export async function probePgBouncer(url: string, adminUrl: string): Promise<string> {
  await queryOnce(url, "SELECT 1");
  const rows = await queryOnce(adminUrl, "SHOW VERSION");
  const version = String(rows[0]?.version ?? "unknown");
  return version.replace(/^PgBouncer\s+/i, "");
}

/** A Redis connection for probing: connects when asked, each command bounded, errors left to the caller.
 * `reconnects`: how many times it may reconnect between reads (0: a one-shot probe). */
export function redisProbeClient(
  url: string,
  options: { timeoutMs: number; reconnects: number; name?: string },
): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: options.timeoutMs,
    commandTimeout: options.timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: options.reconnects > 0,
    ...(options.name && { connectionName: options.name }),
    // Reconnect quickly after a restart, a bounded number of times.
    retryStrategy: (times) => (times > options.reconnects ? null : 200),
  });
  client.on("error", () => {});
  return client;
}

export async function probeRedis(url: string): Promise<string> {
  const client = redisProbeClient(url, { timeoutMs: PROBE_TIMEOUT_MS, reconnects: 0 });
  try {
    await client.connect();
    const pong = await client.ping();
    if (pong !== "PONG") throw new Error(`PING answered ${pong}`);
    const info = await client.info("server");
    return /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
  } finally {
    client.disconnect();
  }
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called between failed attempts; a service whose process died will never answer. */
  isAlive?: () => Promise<boolean>;
  intervalMs?: number;
}

/** Repeats `probe` until it succeeds, the time is up, the service died, or the signal fires. */
export async function waitUntilReady<T>(what: string, probe: () => Promise<T>, options: WaitOptions): Promise<T> {
  const interval = options.intervalMs ?? 50;
  const deadline = performance.now() + options.timeoutMs;
  const maxAttempts = Math.ceil(options.timeoutMs / interval) + 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < maxAttempts && performance.now() < deadline; attempt++) {
    if (options.signal?.aborted) throw new AbortedError(`waiting for ${what} aborted`);
    try {
      return await probe();
    } catch (error) {
      if (isPermanent(error)) throw new Error(`${what} refused the connection: ${describe(error)}`);
      lastError = error;
    }
    if (options.isAlive && !(await options.isAlive())) {
      throw new Error(`${what} exited before it answered (last error: ${describe(lastError)})`);
    }
    await sleep(interval, undefined, { signal: options.signal }).catch(() => {});
  }
  if (options.signal?.aborted) throw new AbortedError(`waiting for ${what} aborted`);
  throw new Error(`${what} did not answer within ${options.timeoutMs} ms (last error: ${describe(lastError)})`);
}

/** SQLSTATEs that waiting cannot fix: bad password, unknown role, unknown database. */
const PERMANENT_SQLSTATES = new Set(["28P01", "28000", "3D000"]);

/** Errors that will not go away by asking again (a server that is still starting up will). */
function isPermanent(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && PERMANENT_SQLSTATES.has(code)) return true;
  return /WRONGPASS|NOAUTH/.test(describe(error));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
