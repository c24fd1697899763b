/**
 * The reference SaaS workload on a real stack: seeding, every op under a
 * short mixed open-loop load without errors, cache-aside hits, and job
 * claims that never hand the same job to two workers (SKIP LOCKED).
 */

import { Redis } from "ioredis";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StartedStack } from "../../containers/index.ts";
import { createDbPool, DEFAULT_DB_SETTINGS } from "../../harness/clients/db.ts";
import { IterationTimer } from "../../harness/clients/iteration-timer.ts";
import { opContext } from "../../harness/clients/op-context.ts";
import { planLoad, runLoad } from "../../harness/runner/run-load.ts";
import { saasOps } from "../../harness/workloads/saas/ops.ts";
import { type SeedResult, seed, seedPool } from "../../harness/workloads/saas/schema.ts";
import { newStateDir, providersUnderTest, startTestStack } from "../helpers/stack.ts";

describe.each(providersUnderTest())("reference SaaS workload on a real stack (%s)", (provider) => {
  let stack: StartedStack;
  let seeded: SeedResult;
  let pool: pg.Pool;
  let redis: Redis;

  beforeAll(async () => {
    stack = await startTestStack(provider, newStateDir());
    const seeding = seedPool(stack.urls.postgres);
    seeded = await seed(seeding, 200_000);
    await seeding.end();
    pool = createDbPool(stack.urls.pgbouncer, { ...DEFAULT_DB_SETTINGS, poolSize: 10 });
    redis = new Redis(stack.urls.redis);
  });

  afterAll(async () => {
    redis?.disconnect();
    await pool?.end();
    await stack?.teardown();
  });

  it("seeds the shape it promises", async () => {
    expect(seeded).toMatchObject({ events: 200_000, accounts: 20, projects: 100, jobs: 2_000 });
    const { rows } = await pool.query(
      "SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM jobs WHERE state = 'queued')::int AS jobs",
    );
    expect(rows[0]).toEqual({ events: 200_000, jobs: 2_000 });
    console.log(`seeded 200k events on ${provider} in ${seeded.seconds.toFixed(2)} s`);
  });

  it("runs every op under a mixed open-loop load without errors; a warm cache serves the dashboard", async () => {
    const ops = saasOps(seeded);
    const scenario = (exec: string, rate: number) => ({
      executor: "constant-arrival-rate" as const,
      rate,
      duration: "3s",
      preAllocatedVUs: 5,
      maxVUs: 100,
      exec,
    });
    const executors = planLoad(
      {
        dashboard: scenario("dashboard", 100),
        search: scenario("search", 50),
        write: scenario("write", 20),
        job: scenario("job", 20),
        export: scenario("export", 2),
      },
      ops,
      "workload test",
    );
    // A first pass warms the dashboard's keys (accounts × date ranges); the second is measured.
    const warm = await runLoad(planLoad({ warm: scenario("dashboard", 100) }, ops, "warm-up"), ops, {
      pool,
      redis,
      cachePrefix: "saas:",
    });
    const outcome = await runLoad(executors, ops, { pool, redis, cachePrefix: "saas:" });
    const byOp = Object.fromEntries(outcome.store.all().map((s) => [s.op, s]));
    for (const op of ["dashboard", "search", "write", "job", "export"]) {
      expect(byOp[op]?.iterations, op).toBeGreaterThan(0);
      expect(byOp[op]?.errorCount, op).toBe(0);
    }
    const dashboard = byOp.dashboard;
    // Misses filled the cache during the warm-up (loading from Postgres); then it serves the dashboard.
    expect(warm.store.all()[0]?.cacheMisses).toBeGreaterThan(0);
    expect(dashboard?.cacheHits).toBeGreaterThan(dashboard?.cacheMisses ?? 0);
    expect(outcome.generator.droppedIterations).toBe(0);
  });

  it("never hands one job to two workers", async () => {
    const ops = saasOps(seeded);
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const timer = new IterationTimer();
        return ops.job?.(opContext({ pool, redis, cachePrefix: "saas:" }, timer, i, i));
      }),
    );
    expect(claims.every((id) => id !== undefined)).toBe(true);
    expect(new Set(claims).size).toBe(20);
  });
});
