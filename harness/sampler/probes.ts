/** The sampler's probes: each reads one server over a connection it keeps (and replaces when it breaks). */
import type { Redis } from "ioredis";
import pg from "pg";
import { redisProbeClient } from "../../containers/probes.ts";
import { applicationPools, parsePools, parseStats } from "./pgbouncer-rows.ts";
import { parseRedisInfo, type RedisInfo } from "./redis-info.ts";

export const PROBE_TIMEOUT_MS = 900;

export interface PgBouncerSample {
  clActive: number;
  clWaiting: number;
  svActive: number;
  svIdle: number;
  svLogin: number;
  maxWaitMs: number;
  totalXactCount: number;
  totalWaitTimeUs: number;
  /** Client wait for a server connection accrued since the previous sample, in ms (server pool wait). */
  waitMs?: number;
  /** That wait per transaction since the previous sample, in ms. */
  avgWaitMs?: number;
}

export interface PostgresSample {
  /** Backends by state (active, idle, idle in transaction...), this database only, the sampler excluded. */
  byState: Record<string, number>;
  /** Active backends waiting, by wait_event_type (Lock, IO, LWLock...). */
  waiting: Record<string, number>;
  blksHit: number;
  blksRead: number;
}

/** One persistent pg connection; recreated after any failure. */
class PgConnection {
  private client: pg.Client | undefined;
  private readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    if (!this.client) {
      const client = new pg.Client({
        connectionString: this.url,
        connectionTimeoutMillis: PROBE_TIMEOUT_MS,
        query_timeout: PROBE_TIMEOUT_MS,
        application_name: "rehearse-sampler",
      });
      client.on("error", () => {});
      await client.connect();
      this.client = client;
    }
    try {
      return (await this.client.query(sql)).rows as Record<string, unknown>[];
    } catch (error) {
      this.close();
      throw error;
    }
  }

  close(): void {
    this.client?.end().catch(() => {});
    this.client = undefined;
  }
}

export class PgBouncerProbe {
  private readonly conn: PgConnection;

  constructor(adminUrl: string) {
    this.conn = new PgConnection(adminUrl);
  }

  async read(): Promise<PgBouncerSample> {
    const pools = applicationPools(parsePools(await this.conn.query("SHOW POOLS")));
    const stats = parseStats(await this.conn.query("SHOW STATS")).filter((s) => s.database !== "pgbouncer");
    const sum = <T>(rows: T[], f: (r: T) => number) => rows.reduce((n, r) => n + f(r), 0);
    return {
      clActive: sum(pools, (p) => p.clActive),
      clWaiting: sum(pools, (p) => p.clWaiting),
      svActive: sum(pools, (p) => p.svActive),
      svIdle: sum(pools, (p) => p.svIdle),
      svLogin: sum(pools, (p) => p.svLogin),
      maxWaitMs: Math.max(0, ...pools.map((p) => p.maxWaitMs)),
      totalXactCount: sum(stats, (s) => s.totalXactCount),
      totalWaitTimeUs: sum(stats, (s) => s.totalWaitTimeUs),
    };
  }

  close(): void {
    this.conn.close();
  }
}

export class PostgresProbe {
  private readonly conn: PgConnection;

  constructor(url: string) {
    this.conn = new PgConnection(url);
  }

  async read(): Promise<PostgresSample> {
    const activity = await this.conn.query(`
      SELECT coalesce(state, 'unknown') AS state,
             CASE WHEN state = 'active' THEN wait_event_type END AS wait,
             count(*)::int AS n
      FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
      GROUP BY 1, 2`);
    const [blocks] = await this.conn.query(
      "SELECT blks_hit::float8 AS hit, blks_read::float8 AS read FROM pg_stat_database WHERE datname = current_database()",
    );
    const byState: Record<string, number> = {};
    const waiting: Record<string, number> = {};
    for (const row of activity) {
      const n = Number(row.n);
      byState[String(row.state)] = (byState[String(row.state)] ?? 0) + n;
      if (row.wait) waiting[String(row.wait)] = (waiting[String(row.wait)] ?? 0) + n;
    }
    return { byState, waiting, blksHit: Number(blocks?.hit ?? 0), blksRead: Number(blocks?.read ?? 0) };
  }

  close(): void {
    this.conn.close();
  }
}

export class RedisProbe {
  private readonly redis: Redis;

  constructor(url: string) {
    this.redis = redisProbeClient(url, { timeoutMs: PROBE_TIMEOUT_MS, reconnects: 5, name: "rehearse-sampler" });
  }

  async read(): Promise<RedisInfo> {
    if (this.redis.status === "end" || this.redis.status === "wait") await this.redis.connect().catch(() => {});
    return parseRedisInfo(await this.redis.info());
  }

  close(): void {
    this.redis.disconnect();
  }
}
