/**
 * bench/threads: what a second generator thread can buy on this machine, before `--workers` is built on it
 * (issue 20). In one run on the same stack, closed-loop SELECT 1 through PgBouncer with 16 clients:
 * pgbench -j2, a bare node-postgres loop in one thread, and the same loop split 8 + 8 over two worker
 * threads; per second and node's CPU per query (µs, the process' own CPU time, every thread).
 * On a 2-core machine the servers share the cores with the generator, so what decides the rate is the
 * CPU each query costs, not how many threads issue them.
 * Usage: node bench/threads.ts [seconds per measurement, default 10]
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { createDbPool, DEFAULT_DB_SETTINGS } from "../harness/clients/db.ts";
import { pgbenchSelect1 } from "./lib/pgbench.ts";

const CLIENTS = 16;

/** `clients` connections each running SELECT 1 back to back for `seconds`: how many completed. */
async function bareLoop(url: string, clients: number, seconds: number): Promise<number> {
  const pool = createDbPool(url, { ...DEFAULT_DB_SETTINGS, poolSize: clients });
  await Promise.all(Array.from({ length: clients }, () => pool.query("SELECT 1")));
  let count = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        await pool.query("SELECT 1");
        count++;
      }
    }),
  );
  await pool.end();
  return count;
}

if (!isMainThread) {
  const { url, clients, seconds } = workerData as { url: string; clients: number; seconds: number };
  parentPort?.postMessage(await bareLoop(url, clients, seconds));
} else {
  await main();
}

async function main(): Promise<void> {
  const { newStateDir, startTestStack } = await import("../test/helpers/stack.ts");
  const seconds = Number(process.argv[2] ?? 10);
  const stack = await startTestStack("native", newStateDir());
  const url = stack.urls.pgbouncer;
  /** Queries per second and node's CPU µs per query while `work` ran. */
  const measure = async (work: () => Promise<number>) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const count = await work();
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { rate: count / (ms / 1000), cpuUs: (cpu.user + cpu.system) / count };
  };
  const inThreads = (threads: number) =>
    Promise.all(
      Array.from(
        { length: threads },
        () =>
          new Promise<number>((resolve, reject) => {
            const worker = new Worker(new URL(import.meta.url), {
              workerData: { url, clients: CLIENTS / threads, seconds },
            });
            worker.once("message", resolve);
            worker.once("error", reject);
          }),
      ),
    ).then((counts) => counts.reduce((a, b) => a + b, 0));
  try {
    const { tps: pgbench } = await pgbenchSelect1(url, { seconds, clients: CLIENTS });
    const one = await measure(() => bareLoop(url, CLIENTS, seconds));
    const two = await measure(() => inThreads(2));
    console.log(`## threads (native stack, ${seconds} s per measurement, ${CLIENTS} clients)\n`);
    console.log("| closed loop, SELECT 1 via PgBouncer | per second | ÷ pgbench | node CPU µs per query |");
    console.log("|---|---|---|---|");
    console.log(`| pgbench -j2 -M simple | ${pgbench.toFixed(0)} | 1.00 | |`);
    for (const [name, r] of [
      ["bare node-postgres loop, 1 thread", one],
      ["bare node-postgres loop, 2 worker threads", two],
    ] as const) {
      console.log(`| ${name} | ${r.rate.toFixed(0)} | ${(r.rate / pgbench).toFixed(2)} | ${r.cpuUs.toFixed(0)} |`);
    }
  } finally {
    await stack.teardown();
  }
}
