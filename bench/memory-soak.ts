/**
 * bench/memory-soak: an open-loop run at 1k/s (SELECT 1 through PgBouncer and
 * a cache-aside read) for a long time, RSS and heap sampled each minute, to
 * show memory stays flat (histograms, not arrays; a lazy schedule).
 * Usage: node bench/memory-soak.ts [duration, default 10m] [provider, default native]
 */
import { Redis } from "ioredis";
import { parseDuration } from "../core/duration.ts";
import { createDbPool, DEFAULT_DB_SETTINGS } from "../harness/clients/db.ts";
import type { Op } from "../harness/clients/op-context.ts";
import { mergeHistograms, percentilesMs } from "../harness/metrics/histogram.ts";
import { planLoad, runLoad } from "../harness/runner/run-load.ts";
import { newStateDir, startTestStack } from "../test/helpers/stack.ts";

const DURATION = process.argv[2] ?? "10m";
const PROVIDER = (process.argv[3] ?? "native") as "native" | "testcontainers";
const durationMs = parseDuration(DURATION);
if (typeof durationMs === "string") throw new Error(durationMs);

const stack = await startTestStack(PROVIDER, newStateDir());
const pool = createDbPool(stack.urls.pgbouncer, { ...DEFAULT_DB_SETTINGS, poolSize: 16 });
const redis = new Redis(stack.urls.redis);
const ops: Record<string, Op> = {
  mixed: async ({ db, cache, iteration }) => {
    await cache.cached(`item:${iteration % 1000}`, 30, async () => (await db.query("SELECT 1 AS one")).rows);
    await db.query("SELECT 1");
  },
};
const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
const samples: { minute: number; rssMb: number; heapMb: number }[] = [];
const sample = (minute: number) => {
  const m = process.memoryUsage();
  samples.push({ minute, rssMb: mb(m.rss), heapMb: mb(m.heapUsed) });
};

try {
  const executors = planLoad(
    {
      soak: {
        executor: "constant-arrival-rate",
        rate: 1000,
        duration: DURATION,
        preAllocatedVUs: 50,
        maxVUs: 1000,
        exec: "mixed",
      },
    },
    ops,
    "soak",
  );
  let minute = 0;
  sample(minute);
  const sampler = setInterval(() => sample(++minute), 60_000);
  const outcome = await runLoad(executors, ops, { pool, redis, cachePrefix: "soak:" });
  clearInterval(sampler);
  sample(Math.round(outcome.durationMs / 60_000));
  const all = outcome.store.all();
  const latency = percentilesMs(mergeHistograms(all.map((s) => s.trends.latency)));
  console.log(`## memory-soak (${PROVIDER} stack, 1000/s for ${DURATION})\n`);
  console.log(
    `iterations ${all.reduce((n, s) => n + s.iterations, 0)}, errors ${all.reduce((n, s) => n + s.errorCount, 0)}, latency p50/p99 ${latency.p50}/${latency.p99} ms, generator valid: ${outcome.generator.valid}\n`,
  );
  console.log("| minute | RSS (MB) | heap used (MB) |");
  console.log("|---|---|---|");
  for (const s of samples) console.log(`| ${s.minute} | ${s.rssMb} | ${s.heapMb} |`);
  const warm = samples[1] ?? samples[0];
  const last = samples.at(-1);
  if (warm && last) console.log(`\nRSS from minute ${warm.minute} to the end: ${warm.rssMb} → ${last.rssMb} MB`);
} finally {
  redis.disconnect();
  await pool.end();
  await stack.teardown();
}
