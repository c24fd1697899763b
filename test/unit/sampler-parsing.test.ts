import { describe, expect, it } from "vitest";
import { applicationPools, parsePools, parseStats } from "../../harness/sampler/pgbouncer-rows.ts";
import { parseRedisInfo } from "../../harness/sampler/redis-info.ts";

// SHOW POOLS as node-postgres returns it from PgBouncer 1.18 (integers as numbers).
const pools118 = [
  {
    database: "pgbouncer",
    user: "pgbouncer",
    cl_active: 1,
    cl_waiting: 0,
    cl_active_cancel_req: 0,
    cl_waiting_cancel_req: 0,
    sv_active: 0,
    sv_active_cancel: 0,
    sv_being_canceled: 0,
    sv_idle: 0,
    sv_used: 0,
    sv_tested: 0,
    sv_login: 0,
    maxwait: 0,
    maxwait_us: 0,
    pool_mode: "statement",
  },
  {
    database: "rehearse",
    user: "rehearse",
    cl_active: 20,
    cl_waiting: 35,
    cl_active_cancel_req: 0,
    cl_waiting_cancel_req: 0,
    sv_active: 20,
    sv_active_cancel: 0,
    sv_being_canceled: 0,
    sv_idle: 0,
    sv_used: 0,
    sv_tested: 0,
    sv_login: 0,
    maxwait: 1,
    maxwait_us: 830000,
    pool_mode: "transaction",
  },
];

// PgBouncer 1.25: load_balance_hosts added; values as strings from a text-mode driver.
const pools125 = [
  {
    database: "app",
    user: "app",
    cl_active: "3",
    cl_waiting: "7",
    cl_active_cancel_req: "0",
    cl_waiting_cancel_req: "0",
    sv_active: "3",
    sv_active_cancel: "0",
    sv_being_canceled: "0",
    sv_idle: "2",
    sv_used: "1",
    sv_tested: "0",
    sv_login: "1",
    maxwait: "0",
    maxwait_us: "250000",
    pool_mode: "session",
    load_balance_hosts: null,
  },
];

describe("SHOW POOLS", () => {
  it("reads 1.18 rows by column name; maxwait is seconds plus maxwait_us", () => {
    const [, app] = parsePools(pools118);
    expect(app).toEqual({
      database: "rehearse",
      user: "rehearse",
      clActive: 20,
      clWaiting: 35,
      svActive: 20,
      svIdle: 0,
      svUsed: 0,
      svLogin: 0,
      maxWaitMs: 1830,
      poolMode: "transaction",
    });
    expect(applicationPools(parsePools(pools118)).map((p) => p.database)).toEqual(["rehearse"]);
  });

  it("reads 1.25 rows with string values and extra columns", () => {
    expect(parsePools(pools125)[0]).toMatchObject({
      clWaiting: 7,
      svIdle: 2,
      svLogin: 1,
      maxWaitMs: 250,
      poolMode: "session",
    });
  });
});

describe("SHOW STATS", () => {
  it("reads numeric strings, for 1.18 and for 1.25's extra columns alike", () => {
    const stats118 = {
      database: "rehearse",
      total_xact_count: "1200",
      total_query_count: "1250",
      total_received: "30000",
      total_sent: "90000",
      total_xact_time: "400000",
      total_query_time: "380000",
      total_wait_time: "5000000",
      avg_xact_count: "40",
      avg_query_count: "41",
      avg_recv: "1000",
      avg_sent: "3000",
      avg_xact_time: "333",
      avg_query_time: "304",
      avg_wait_time: "4166",
    };
    const stats125 = {
      ...stats118,
      total_server_assignment_count: "1100",
      avg_server_assignment_count: "36",
      total_client_parse_count: "0",
      total_server_parse_count: "0",
      total_bind_count: "0",
    };
    for (const row of [stats118, stats125]) {
      expect(parseStats([row])[0]).toEqual({
        database: "rehearse",
        totalXactCount: 1200,
        totalQueryCount: 1250,
        totalWaitTimeUs: 5_000_000,
        avgWaitTimeUs: 4166,
        avgQueryTimeUs: 304,
      });
    }
  });

  it("reads a missing column as 0", () => {
    expect(parseStats([{ database: "x" }])[0]?.totalWaitTimeUs).toBe(0);
  });
});

describe("Redis INFO", () => {
  it("reads the cache counters", () => {
    const text =
      "# Stats\r\nkeyspace_hits:120\r\nkeyspace_misses:30\r\nevicted_keys:4\r\n# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n# Clients\r\nconnected_clients:7\r\n";
    expect(parseRedisInfo(text)).toEqual({
      keyspaceHits: 120,
      keyspaceMisses: 30,
      evictedKeys: 4,
      usedMemoryBytes: 1_048_576,
      connectedClients: 7,
    });
  });
});
