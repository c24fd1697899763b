/**
 * PgBouncer's SHOW POOLS / SHOW STATS rows, read by column name: versions
 * 1.18 → 1.25 add and rename columns, and STATS numbers arrive as strings
 * (bigint). A missing column reads as 0, an extra one is ignored.
 */
export interface PoolRow {
  database: string;
  user: string;
  clActive: number;
  clWaiting: number;
  svActive: number;
  svIdle: number;
  svUsed: number;
  svLogin: number;
  /** Longest current client wait: `maxwait` (s) + `maxwait_us` (µs). */
  maxWaitMs: number;
  poolMode: string;
}

export interface StatsRow {
  database: string;
  totalXactCount: number;
  totalQueryCount: number;
  /** Total time clients waited for a server, µs. */
  totalWaitTimeUs: number;
  avgWaitTimeUs: number;
  avgQueryTimeUs: number;
}

type Row = Record<string, unknown>;

function num(row: Row, column: string): number {
  const value = row[column];
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : 0;
}

function str(row: Row, column: string): string {
  const value = row[column];
  return value === undefined || value === null ? "" : String(value);
}

export function parsePools(rows: Row[]): PoolRow[] {
  return rows.map((row) => ({
    database: str(row, "database"),
    user: str(row, "user"),
    clActive: num(row, "cl_active"),
    clWaiting: num(row, "cl_waiting"),
    svActive: num(row, "sv_active"),
    svIdle: num(row, "sv_idle"),
    svUsed: num(row, "sv_used"),
    svLogin: num(row, "sv_login"),
    maxWaitMs: num(row, "maxwait") * 1000 + num(row, "maxwait_us") / 1000,
    poolMode: str(row, "pool_mode"),
  }));
}

export function parseStats(rows: Row[]): StatsRow[] {
  return rows.map((row) => ({
    database: str(row, "database"),
    totalXactCount: num(row, "total_xact_count"),
    totalQueryCount: num(row, "total_query_count"),
    totalWaitTimeUs: num(row, "total_wait_time"),
    avgWaitTimeUs: num(row, "avg_wait_time"),
    avgQueryTimeUs: num(row, "avg_query_time"),
  }));
}

/** The pools that carry application traffic (not the admin console's own). */
export function applicationPools(pools: PoolRow[]): PoolRow[] {
  return pools.filter((p) => p.database !== "pgbouncer");
}
