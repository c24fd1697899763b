/**
 * The stack for real, once per provider: Postgres, PgBouncer and Redis start,
 * answer through PgBouncer, freeze and thaw, restart on the same ports, run
 * commands in their environment, and leave nothing behind.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryOnce } from "../../containers/probes.ts";
import type { ServiceName, StartedStack } from "../../containers/types.ts";
import {
  leftoversOf,
  NOTHING_LEFT,
  newStateDir,
  portsOf,
  providersUnderTest,
  registeredTempDirs,
  startTestStack,
} from "../helpers/stack.ts";

/** Resolves to "waiting" if `work` has not finished after `ms`. */
async function stillWaitingAfter(work: Promise<unknown>, ms: number): Promise<"done" | "waiting"> {
  return Promise.race([work.then(() => "done" as const), sleep(ms).then(() => "waiting" as const)]);
}

describe.each(providersUnderTest())("stack on real servers (%s)", (provider) => {
  const stateDir = newStateDir();
  let stack: StartedStack;
  let redis: Redis;

  beforeAll(async () => {
    stack = await startTestStack(provider, stateDir);
    redis = new Redis(stack.urls.redis, { maxRetriesPerRequest: 3 });
    // It reconnects on its own while a test stops Redis on purpose.
    redis.on("error", () => {});
  });

  afterAll(async () => {
    redis?.disconnect();
    await stack?.teardown();
  });

  it("answers SELECT through PgBouncer and reports server versions", async () => {
    const rows = await queryOnce(stack.urls.pgbouncer, "SELECT current_database() AS db, 40 + 2 AS answer");
    expect(rows).toEqual([{ db: "rehearse", answer: 42 }]);
    expect(stack.versions.postgres).toMatch(/^\d+\.\d+/);
    expect(stack.versions.pgbouncer).toMatch(/^1\.\d+/);
    expect(stack.versions.redis).toMatch(/^\d+\.\d+/);
  });

  it("stores and reads a Redis key", async () => {
    await redis.set("rehearse:test", "value", "EX", 60);
    expect(await redis.get("rehearse:test")).toBe("value");
  });

  it("answers SHOW POOLS with the harness's pool mode", async () => {
    await queryOnce(stack.urls.pgbouncer, "SELECT 1");
    const pools = await stack.pgbouncerAdmin("SHOW POOLS");
    const pool = pools.find((row) => row.database === "rehearse");
    expect(pool).toBeDefined();
    expect(pool?.pool_mode).toBe("transaction");
    expect(pools[0]).toHaveProperty("cl_waiting");
  });

  const freezeCases: [ServiceName, () => Promise<unknown>][] = [
    ["postgres", () => queryOnce(stack.urls.postgres, "SELECT 1 AS one", 30_000)],
    ["pgbouncer", () => queryOnce(stack.urls.pgbouncer, "SELECT 1 AS one", 30_000)],
    ["redis", () => redis.ping()],
  ];
  it.each(freezeCases)("pausing %s makes a request wait; unpausing lets it finish", async (service, request) => {
    await stack.pause(service);
    const pending = request();
    try {
      expect(await stillWaitingAfter(pending, 700)).toBe("waiting");
    } finally {
      await stack.unpause(service);
    }
    await expect(pending).resolves.toBeDefined();
  });

  it("a query already running through PgBouncer waits while Postgres is frozen", async () => {
    const client = new pg.Client({ connectionString: stack.urls.pgbouncer });
    await client.connect();
    try {
      await client.query("SELECT 1");
      await stack.pause("postgres");
      const pending = client.query("SELECT 2 AS two");
      try {
        expect(await stillWaitingAfter(pending, 700)).toBe("waiting");
      } finally {
        await stack.unpause("postgres");
      }
      expect((await pending).rows).toEqual([{ two: 2 }]);
    } finally {
      await client.end();
    }
  });

  it.each(["postgres", "pgbouncer", "redis"] as const)("restarting %s keeps its port", async (service) => {
    const before = { ...stack.urls };
    await stack.restart(service);
    expect(stack.urls).toEqual(before);
    const rows = await queryOnce(stack.urls.pgbouncer, "SELECT 1 AS one", 10_000);
    expect(rows).toEqual([{ one: 1 }]);
  });

  it("keeps Postgres data across a restart, and comes back with an empty Redis", async () => {
    await queryOnce(
      stack.urls.postgres,
      "CREATE TABLE IF NOT EXISTS survives (id int); INSERT INTO survives VALUES (7)",
    );
    await redis.set("rehearse:cold", "1");
    await stack.restart("postgres");
    await stack.restart("redis");
    expect(await queryOnce(stack.urls.postgres, "SELECT id FROM survives")).toEqual([{ id: 7 }]);
    expect(await redis.get("rehearse:cold")).toBeNull();
  });

  it("stop refuses connections; start on the same port answers again", async () => {
    await stack.stop("redis");
    const probe = new Redis(stack.urls.redis, {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    probe.on("error", () => {});
    await expect(probe.connect()).rejects.toThrow(/ECONNREFUSED|Connection is closed/);
    probe.disconnect();
    await stack.start("redis");
    expect(await redis.ping()).toBe("PONG");
  });

  it("runs pg_dump and redis-cli in the services' environments", async () => {
    const dump = await stack.exec("postgres", ["pg_dump", "--schema-only"]);
    expect(dump.exitCode).toBe(0);
    expect(dump.stdout).toContain("PostgreSQL database dump");
    expect(dump.stdout).toContain("survives");
    const ping = await stack.exec("redis", ["sh", "-c", 'redis-cli -p "$REDIS_PORT" PING']);
    expect(ping).toMatchObject({ exitCode: 0, stdout: expect.stringContaining("PONG") });
    const failing = await stack.exec("postgres", ["psql", "-c", "SELECT * FROM no_such_table"]);
    expect(failing.exitCode).not.toBe(0);
    expect(failing.stderr).toContain("no_such_table");
  });

  it("teardown leaves no container, process, port or temp dir", async () => {
    const traces = { id: stack.id, ports: portsOf(stack.urls), tempDirs: registeredTempDirs(stateDir) };
    if (provider === "native") expect(traces.tempDirs).toHaveLength(1);
    const before = await leftoversOf(traces);
    expect(before.openPorts).toHaveLength(3);
    if (provider === "testcontainers") expect(before.containers).toHaveLength(3);
    // Postgres alone runs a postmaster, its helpers and a backend per connection.
    else expect(before.processes.length).toBeGreaterThanOrEqual(5);

    redis.disconnect();
    await stack.teardown();
    expect(await leftoversOf(traces)).toEqual(NOTHING_LEFT);
    expect(registeredTempDirs(stateDir)).toEqual([]);
  });
});
