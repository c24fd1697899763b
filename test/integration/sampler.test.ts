/**
 * The 1 s sampler against real servers: it sees clients queue in PgBouncer
 * (cl_waiting, maxwait), active backends in Postgres and hits in Redis; when
 * PgBouncer is frozen it keeps ticking, warns once, and resumes after.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StartedStack } from "../../containers/index.ts";
import { createDbPool, DEFAULT_DB_SETTINGS } from "../../harness/clients/db.ts";
import { Sampler } from "../../harness/sampler/sampler.ts";
import { newStateDir, providersUnderTest, startTestStack } from "../helpers/stack.ts";

describe.each(providersUnderTest())("1 s sampler on real servers (%s)", (provider) => {
  let stack: StartedStack;
  beforeAll(async () => {
    stack = await startTestStack(provider, newStateDir(), { pgbouncer: { defaultPoolSize: 2 } });
  });
  afterAll(async () => {
    await stack?.teardown();
  });

  it("samples pool queueing, backends and cache hits, and survives a frozen PgBouncer", async () => {
    const warnings: string[] = [];
    const origin = performance.now();
    const sampler = new Sampler({
      urls: stack.urls,
      originMs: origin,
      generator: () => ({ iterations: 0, errors: 0, dropped: 0 }),
      warn: (message) => warnings.push(message),
    });
    sampler.start();

    const redis = new Redis(stack.urls.redis);
    await redis.set("k", "v");
    for (let i = 0; i < 3; i++) await redis.get("k");
    for (let i = 0; i < 2; i++) await redis.get("missing");
    redis.disconnect();

    // 10 clients, 2 server connections: 8 queue in PgBouncer for a while.
    const pool = createDbPool(stack.urls.pgbouncer, { ...DEFAULT_DB_SETTINGS, poolSize: 10 });
    const slow = Promise.all(Array.from({ length: 10 }, () => pool.query("SELECT pg_sleep(0.6)")));
    await sleep(2_500);
    await slow;

    await stack.pause("pgbouncer");
    await sleep(2_500);
    await stack.unpause("pgbouncer");
    await sleep(2_200);
    const samples = await sampler.stop();
    await pool.end();

    // About one sample a second, in order.
    expect(samples.length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < samples.length; i++) {
      const gap = (samples[i]?.tMs ?? 0) - (samples[i - 1]?.tMs ?? 0);
      expect(gap).toBeGreaterThan(800);
      expect(gap).toBeLessThan(1_500);
    }
    expect(Math.max(...samples.map((s) => s.pgbouncer?.clWaiting ?? 0))).toBeGreaterThanOrEqual(5);
    expect(Math.max(...samples.map((s) => s.pgbouncer?.maxWaitMs ?? 0))).toBeGreaterThan(100);
    expect(Math.max(...samples.map((s) => s.postgres?.byState.active ?? 0))).toBeGreaterThanOrEqual(2);
    expect(Math.max(...samples.map((s) => s.redis?.keyspaceHits ?? 0))).toBeGreaterThanOrEqual(3);
    expect(Math.max(...samples.map((s) => s.redis?.keyspaceMisses ?? 0))).toBeGreaterThanOrEqual(2);
    // During the freeze PgBouncer's reads are missing; they come back after it.
    const frozen = samples.filter((s) => s.tMs > 3_200 && s.tMs < 4_800);
    expect(frozen.length).toBeGreaterThan(0);
    expect(frozen.every((s) => s.pgbouncer === undefined)).toBe(true);
    expect(samples.at(-1)?.pgbouncer).toBeDefined();
    expect(samples.every((s) => s.postgres !== undefined || s.tMs < 1_100)).toBe(true);
    expect(warnings.filter((w) => w.includes("pgbouncer"))).toHaveLength(1);
  });
});
