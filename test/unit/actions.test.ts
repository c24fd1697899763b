import { describe, expect, it } from "vitest";
import { rewriteIni } from "../../harness/actions/kinds/pgbouncer.ts";
import { planActions } from "../../harness/actions/timeline.ts";

describe("planActions", () => {
  it("plans offsets and durations, scaled", () => {
    const problems: string[] = [];
    const planned = planActions(
      [
        { at: "20s", action: "flush-cache" },
        { at: "1m", action: "freeze", service: "pgbouncer", duration: "5s" },
      ],
      0.5,
      problems,
    );
    expect(problems).toEqual([]);
    expect(planned.map((a) => [a.name, a.atMs, a.durationMs])).toEqual([
      ["flush-cache", 10_000, undefined],
      ["freeze", 30_000, 2_500],
    ]);
  });

  it("reports every problem with its index and field", () => {
    const problems: string[] = [];
    planActions(
      [
        { at: "soon", action: "flush-cache", scope: "everything" },
        { at: "5s", action: "freeze", service: "mysql" },
        { at: "5s", action: "drop-database" },
        { at: "5s", action: "restart", service: "redis", force: true },
      ],
      1,
      problems,
    );
    expect(problems).toEqual([
      'actions[0].at: \'soon\' is not a duration (e.g. "30s", "1m30s", "500ms")',
      'actions[0].scope: "everything" is not one of prefix, all',
      "actions[1].duration: freeze needs one",
      'actions[1].service: "mysql" is not one of postgres, pgbouncer, redis',
      'actions[2].action: "drop-database" is not one of flush-cache, maxmemory, redis-client-pause, restart, freeze, kill, pgbouncer-pause, pgbouncer-reconnect, pgbouncer-reload, backup, migration, deploy-burst, app-restart, app-scale',
      "actions[3].force: unknown option",
    ]);
  });

  it("checks deploy bursts, migrations and reloads against the scenario's ops", () => {
    const problems: string[] = [];
    planActions(
      [
        { at: "5s", action: "deploy-burst", workers: 0, warmOp: "checkout", pgbouncer: "bounce" },
        { at: "5s", action: "deploy-burst", workers: 3, migration: { lockTimeout: "soon" } },
        { at: "5s", action: "migration", sql: "ALTER TABLE t ADD c int", hold: "11m" },
        { at: "5s", action: "pgbouncer-reload" },
        { at: "5s", action: "pgbouncer-reload", defaultPoolSize: 2.5, poolMode: "bulk" },
        { at: "5s", action: "redis-client-pause", mode: "reads" },
        { at: "5s", action: "deploy-burst", workers: 30, poolSize: 4, warmOp: "dashboard" },
      ],
      1,
      problems,
      { ops: ["dashboard", "search"] },
    );
    expect(problems).toEqual([
      "actions[0].workers: must be a whole number 1–500 (got 0)",
      'actions[0].warmOp: no op named "checkout" (ops: dashboard, search)',
      'actions[0].pgbouncer: "bounce" is not one of pause, restart',
      'actions[1].migration.sql: is required: the migration\'s SQL (e.g. "ALTER TABLE events ADD COLUMN note text")',
      'actions[1].migration.lockTimeout: \'soon\' is not a duration (e.g. "30s", "1m30s", "500ms")',
      "actions[2].hold: at most 10 minutes",
      "actions[3]: name at least one of defaultPoolSize, minPoolSize, reservePoolSize, maxClientConn, maxDbConnections, poolMode",
      "actions[4].defaultPoolSize: must be a whole number 1–10000 (got 2.5)",
      'actions[4].poolMode: "bulk" is not one of session, transaction, statement',
      "actions[5].duration: redis-client-pause needs one",
      'actions[5].mode: "reads" is not one of all, write',
    ]);
  });
});

describe("rewriteIni", () => {
  it("replaces settings in place and appends the ones the ini lacks", () => {
    const ini = "[pgbouncer]\nlisten_port = 6432\ndefault_pool_size = 20\npool_mode = transaction\n";
    expect(rewriteIni(ini, { default_pool_size: "5", reserve_pool_size: "2" })).toBe(
      "[pgbouncer]\nlisten_port = 6432\ndefault_pool_size = 5\npool_mode = transaction\n\nreserve_pool_size = 2",
    );
  });
});
