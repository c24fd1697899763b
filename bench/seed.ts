/**
 * bench/seed: time to create and fill the reference schema at a scale
 * (events rows; accounts, projects and jobs follow), indexes and ANALYZE
 * included. Usage: node bench/seed.ts [scale, default 1000000] [provider, default native]
 */
import { seed, seedPool } from "../harness/workloads/saas/schema.ts";
import { newStateDir, startTestStack } from "../test/helpers/stack.ts";

const SCALE = Number(process.argv[2] ?? 1_000_000);
const PROVIDER = (process.argv[3] ?? "native") as "native" | "testcontainers";

const stack = await startTestStack(PROVIDER, newStateDir());
const pool = seedPool(stack.urls.postgres);
try {
  const first = await seed(pool, SCALE);
  const again = await seed(pool, SCALE);
  const rows = first.events + first.accounts + first.projects + first.jobs;
  console.log(`## seed (${PROVIDER} stack, scale ${SCALE})\n`);
  console.log("| run | events | all rows | seconds | rows/s |");
  console.log("|---|---|---|---|---|");
  for (const [name, r] of [
    ["fresh", first],
    ["again (truncate + refill)", again],
  ] as const) {
    console.log(`| ${name} | ${r.events} | ${rows} | ${r.seconds.toFixed(2)} | ${Math.round(rows / r.seconds)} |`);
  }
} finally {
  await pool.end();
  await stack.teardown();
}
