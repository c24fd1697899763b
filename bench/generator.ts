/**
 * bench/generator: in one run on the same stack,
 *   1. closed-loop SELECT 1 through PgBouncer, 16 clients: pgbench vs a bare
 *      node-postgres loop vs rehearse (constant-vus, instrumented db client);
 *      and rehearse with --workers 2 (bench/scenarios/select1.ts in two load threads, 8 + 8 VUs);
 *   2. open-loop dispatch lag p99 at 1k/s and 5k/s (constant-arrival-rate);
 * and each one's CPU per iteration (µs of user + system time: pgbench's own, node's for the others).
 * Usage: node bench/generator.ts [seconds per measurement, default 10] [provider, default native]
 */

import { fileURLToPath } from "node:url";
import { createDbPool, DEFAULT_DB_SETTINGS } from "../harness/clients/db.ts";
import type { Op } from "../harness/clients/op-context.ts";
import { WHOLE } from "../harness/executors/segment.ts";
import { mergeHistograms, percentilesMs } from "../harness/metrics/histogram.ts";
import { LoadWorkers } from "../harness/runner/load-workers.ts";
import { planLoad, runLoad } from "../harness/runner/run-load.ts";
import { loadScenario } from "../harness/scenario/load.ts";
import { newStateDir, startTestStack } from "../test/helpers/stack.ts";
import { perIteration, withCpu } from "./lib/cpu.ts";
import { pgbenchSelect1 } from "./lib/pgbench.ts";

const SECONDS = Number(process.argv[2] ?? 10);
const PROVIDER = (process.argv[3] ?? "native") as "native" | "testcontainers";
const CLIENTS = 16;

const stack = await startTestStack(PROVIDER, newStateDir());
const noRedis = {} as never; // these ops never touch the cache

async function bareLoopRate(): Promise<{ rate: number; count: number }> {
  const pool = createDbPool(stack.urls.pgbouncer, { ...DEFAULT_DB_SETTINGS, poolSize: CLIENTS });
  await Promise.all(Array.from({ length: CLIENTS }, () => pool.query("SELECT 1")));
  let count = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end) {
        await pool.query("SELECT 1");
        count++;
      }
    }),
  );
  const rate = count / ((performance.now() - t0) / 1000);
  await pool.end();
  return { rate, count };
}

const select1: Record<string, Op> = { select: ({ db }) => db.query("SELECT 1") };

async function rehearseClosedRate(): Promise<{ rate: number; count: number }> {
  const pool = createDbPool(stack.urls.pgbouncer, { ...DEFAULT_DB_SETTINGS, poolSize: CLIENTS });
  await Promise.all(Array.from({ length: CLIENTS }, () => pool.query("SELECT 1")));
  const executors = planLoad(
    { closed: { executor: "constant-vus", vus: CLIENTS, duration: `${SECONDS}s`, exec: "select" } },
    select1,
    "bench",
  );
  const outcome = await runLoad(executors, select1, { pool, redis: noRedis, cachePrefix: "" });
  await pool.end();
  const iterations = outcome.store.all().reduce((n, s) => n + s.iterations, 0);
  return { rate: iterations / SECONDS, count: iterations };
}

/** The scenario file in `count` load threads, started (scenario loaded, pools warm) before the CPU is counted. */
async function rehearseWorkersClosed(count: number) {
  process.env.BENCH_MODE = "closed";
  process.env.BENCH_SECONDS = String(SECONDS);
  const scenario = await loadScenario(fileURLToPath(new URL("./scenarios/select1.ts", import.meta.url)), 1);
  const signal = new AbortController().signal;
  const workers = await LoadWorkers.start(
    { scenario, durationScale: 1, count, part: WHOLE, urls: stack.urls, http: undefined, keepSecondHistograms: false },
    signal,
  );
  try {
    return await withCpu(async () => {
      const outcome = await workers.run(performance.now() + 20, signal, () => {});
      const iterations = outcome.store.all().reduce((n, s) => n + s.iterations, 0);
      return { rate: iterations / SECONDS, count: iterations };
    });
  } finally {
    await workers.close();
  }
}

async function openLoopLag(rate: number) {
  const pool = createDbPool(stack.urls.pgbouncer, { ...DEFAULT_DB_SETTINGS, poolSize: CLIENTS });
  await Promise.all(Array.from({ length: CLIENTS }, () => pool.query("SELECT 1")));
  const executors = planLoad(
    {
      open: {
        executor: "constant-arrival-rate",
        rate,
        duration: `${SECONDS}s`,
        preAllocatedVUs: 100,
        maxVUs: 2_000,
        exec: "select",
      },
    },
    select1,
    "bench",
  );
  const outcome = await runLoad(executors, select1, { pool, redis: noRedis, cachePrefix: "" });
  await pool.end();
  const all = outcome.store.all();
  return {
    lag: percentilesMs(mergeHistograms(all.map((s) => s.trends.dispatch_lag))),
    latency: percentilesMs(mergeHistograms(all.map((s) => s.trends.latency))),
    generator: outcome.generator,
    count: all.reduce((n, s) => n + s.iterations, 0),
  };
}

try {
  const pgbench = await pgbenchSelect1(stack.urls.pgbouncer, { seconds: SECONDS, clients: CLIENTS });
  const bare = await withCpu(bareLoopRate);
  const rehearse = await withCpu(rehearseClosedRate);
  const threads = await rehearseWorkersClosed(2);
  const open1k = await withCpu(() => openLoopLag(1_000));
  const open5k = await withCpu(() => openLoopLag(5_000));
  const rate = rehearse.value.rate;
  console.log(`## generator (${PROVIDER} stack, ${SECONDS} s per measurement, ${CLIENTS} clients)\n`);
  console.log("| closed loop, SELECT 1 via PgBouncer | per second | rehearse ÷ this | CPU µs / iteration |");
  console.log("|---|---|---|---|");
  console.log(
    `| pgbench -M simple -j2 | ${pgbench.tps.toFixed(0)} | ${(rate / pgbench.tps).toFixed(2)} | ${pgbench.cpuUsPerXact.toFixed(1)} |`,
  );
  console.log(
    `| bare node-postgres loop | ${bare.value.rate.toFixed(0)} | ${(rate / bare.value.rate).toFixed(2)} | ${perIteration(bare.cpuUs, bare.value.count)} |`,
  );
  console.log(
    `| rehearse constant-vus | ${rate.toFixed(0)} | 1.00 | ${perIteration(rehearse.cpuUs, rehearse.value.count)} |`,
  );
  console.log(
    `| rehearse constant-vus, --workers 2 | ${threads.value.rate.toFixed(0)} | ${(rate / threads.value.rate).toFixed(2)} | ${perIteration(threads.cpuUs, threads.value.count)} |`,
  );
  console.log(
    "\n| open loop | achieved/s | dispatch lag p50 / p99 / max (ms) | latency p50 / p99 (ms) | CPU µs / iteration | valid |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const [name, { value: r, cpuUs }] of [
    ["1k/s", open1k],
    ["5k/s", open5k],
  ] as const) {
    console.log(
      `| ${name} | ${r.generator.achievedRate.toFixed(0)} | ${r.lag.p50} / ${r.lag.p99} / ${r.lag.max} | ${r.latency.p50} / ${r.latency.p99} | ${perIteration(cpuUs, r.count)} | ${r.generator.valid ? "yes" : `no: ${r.generator.reasons.join("; ")}`} |`,
    );
  }
} finally {
  await stack.teardown();
}
