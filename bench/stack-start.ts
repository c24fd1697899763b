/**
 * bench/stack-start: time from startStack() to all three services answering
 * (a SELECT through PgBouncer, Redis PING), and teardown time, per provider.
 * Median of RUNS runs, plus min and max. Usage: node bench/stack-start.ts [runs]
 */
import { newStateDir, startTestStack } from "../test/helpers/stack.ts";

const RUNS = Number(process.argv[2] ?? 7);
const providers = ["testcontainers", "native"] as const;

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}

const stateDir = newStateDir();

const rows: string[] = [];
for (const provider of providers) {
  const ready: number[] = [];
  const teardown: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    const stack = await startTestStack(provider, stateDir);
    const t1 = performance.now();
    await stack.teardown();
    const t2 = performance.now();
    ready.push(t1 - t0);
    teardown.push(t2 - t1);
  }
  const r = stats(ready);
  const t = stats(teardown);
  rows.push(
    `| ${provider} | ${RUNS} | ${r.median.toFixed(0)} | ${r.min.toFixed(0)}–${r.max.toFixed(0)} | ${t.median.toFixed(0)} | ${t.min.toFixed(0)}–${t.max.toFixed(0)} |`,
  );
}

console.log("## stack-start (ms; all three services answering, then teardown)\n");
console.log("| provider | runs | ready median | ready min–max | teardown median | teardown min–max |");
console.log("|---|---|---|---|---|---|");
for (const row of rows) console.log(row);
