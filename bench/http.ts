/**
 * bench/http: in one run against the same trivial endpoint (a node:http app in a process of its own),
 *   1. closed-loop requests/s, 16 connections: autocannon (a peer, in its own process) vs a bare
 *      undici loop vs rehearse (constant-vus, the instrumented http client), in this thread and with
 *      --workers 2 (bench/scenarios/http-home.ts in two load threads, 8 + 8 connections);
 *   2. open-loop dispatch lag p99 at 2k/s (constant-arrival-rate);
 * and CPU per request (µs of user + system time: autocannon's own process, node's for the others).
 * Usage: node bench/http.ts [seconds per measurement, default 10]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { Pool } from "undici";
import { HttpTargets } from "../harness/clients/http.ts";
import type { Op } from "../harness/clients/op-context.ts";
import { WHOLE } from "../harness/executors/segment.ts";
import { mergeHistograms, percentilesMs } from "../harness/metrics/histogram.ts";
import { LoadWorkers } from "../harness/runner/load-workers.ts";
import { planLoad, runLoad } from "../harness/runner/run-load.ts";
import { loadScenario } from "../harness/scenario/load.ts";
import { startHelloApp } from "../test/helpers/hello-app.ts";
import { newStateDir, startTestStack } from "../test/helpers/stack.ts";
import { perIteration, withCpu } from "./lib/cpu.ts";

const SECONDS = Number(process.argv[2] ?? 10);
const CONNECTIONS = 16;
const AUTOCANNON = fileURLToPath(new URL("../node_modules/autocannon/autocannon.js", import.meta.url));

const app = await startHelloApp(mkdtempSync(join(tmpdir(), "rehearse-bench-http-")));
const noDb = {} as never;

async function autocannonRate(): Promise<{ rate: number; count: number; cpuUs: number }> {
  // bash's `time` gives autocannon's own CPU (user, system) on stderr.
  const result = await execa(
    "bash",
    ["-c", `time "${process.execPath}" "${AUTOCANNON}" -c ${CONNECTIONS} -d ${SECONDS} --json ${app.origin}`],
    { reject: false, timeout: (SECONDS + 30) * 1000, env: { TIMEFORMAT: "%U %S" } },
  );
  const parsed = JSON.parse(result.stdout) as { requests: { average: number; total: number } };
  const [user, sys] = (result.stderr.trim().split("\n").pop() ?? "").split(" ").map(Number);
  return { rate: parsed.requests.average, count: parsed.requests.total, cpuUs: ((user ?? 0) + (sys ?? 0)) * 1e6 };
}

async function bareUndiciRate(): Promise<{ rate: number; count: number }> {
  const pool = new Pool(app.origin, { connections: CONNECTIONS });
  let count = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const res = await pool.request({ method: "GET", path: "/" });
        await res.body.text();
        count++;
      }
    }),
  );
  const rate = count / ((performance.now() - t0) / 1000);
  await pool.close();
  return { rate, count };
}

const home: Record<string, Op> = { home: async ({ http }) => http.get("/") };

async function rehearseClosedRate(): Promise<{ rate: number; count: number }> {
  const targets = new HttpTargets({ connections: CONNECTIONS, timeoutMs: 10_000 });
  targets.setOrigins([app.origin]);
  const executors = planLoad(
    { vus: { executor: "constant-vus", vus: CONNECTIONS, duration: `${SECONDS}s`, exec: "home" } },
    home,
    "bench",
  );
  const outcome = await runLoad(executors, home, { pool: noDb, redis: noDb, cachePrefix: "b:", http: targets });
  await targets.close();
  const iterations = outcome.store.all().reduce((n, s) => n + s.iterations, 0);
  return { rate: iterations / (outcome.durationMs / 1000), count: iterations };
}

/** The scenario file in `count` load threads, started (scenario loaded) before the CPU is counted. */
async function rehearseWorkersRate(count: number) {
  process.env.BENCH_SECONDS = String(SECONDS);
  const scenario = await loadScenario(fileURLToPath(new URL("./scenarios/http-home.ts", import.meta.url)), 1);
  const targets = new HttpTargets({ connections: CONNECTIONS, timeoutMs: 10_000 });
  targets.setOrigins([app.origin]);
  const signal = new AbortController().signal;
  // No database is queried, but a worker opens (and warms) its share of the pool as a run's would.
  const stack = await startTestStack("native", newStateDir());
  const urls = { pgbouncer: stack.urls.pgbouncer, redis: stack.urls.redis };
  const workers = await LoadWorkers.start(
    { scenario, durationScale: 1, count, part: WHOLE, urls, http: targets, keepSecondHistograms: false },
    signal,
  );
  try {
    return await withCpu(async () => {
      const outcome = await workers.run(performance.now() + 20, signal, () => {});
      const iterations = outcome.store.all().reduce((n, s) => n + s.iterations, 0);
      return { rate: iterations / (outcome.durationMs / 1000), count: iterations };
    });
  } finally {
    await workers.close();
    await targets.close();
    await stack.teardown();
  }
}

async function rehearseOpenLag(rate: number): Promise<{ p99Ms: number; achieved: number; valid: boolean }> {
  const targets = new HttpTargets({ connections: CONNECTIONS, timeoutMs: 10_000 });
  targets.setOrigins([app.origin]);
  const executors = planLoad(
    {
      open: {
        executor: "constant-arrival-rate",
        rate,
        duration: `${SECONDS}s`,
        preAllocatedVUs: 200,
        maxVUs: 5_000,
        exec: "home",
      },
    },
    home,
    "bench",
  );
  const outcome = await runLoad(executors, home, { pool: noDb, redis: noDb, cachePrefix: "b:", http: targets });
  await targets.close();
  const lag = percentilesMs(mergeHistograms(outcome.store.all().map((s) => s.trends.dispatch_lag)));
  return { p99Ms: lag.p99, achieved: outcome.generator.achievedRate, valid: outcome.generator.valid };
}

try {
  const autocannon = await autocannonRate();
  const bare = await withCpu(bareUndiciRate);
  const rehearse = await withCpu(rehearseClosedRate);
  const threads = await rehearseWorkersRate(2);
  const open2k = await rehearseOpenLag(2_000);
  const rps = rehearse.value.rate;
  const result = {
    bench: "http",
    seconds: SECONDS,
    connections: CONNECTIONS,
    rps: {
      autocannon: Math.round(autocannon.rate),
      bareUndici: Math.round(bare.value.rate),
      rehearse: Math.round(rps),
      rehearseWorkers2: Math.round(threads.value.rate),
    },
    ratio: {
      rehearseVsAutocannon: Number((rps / autocannon.rate).toFixed(3)),
      rehearseVsBareUndici: Number((rps / bare.value.rate).toFixed(3)),
      workers2VsAutocannon: Number((threads.value.rate / autocannon.rate).toFixed(3)),
    },
    cpuUsPerRequest: {
      autocannon: perIteration(autocannon.cpuUs, autocannon.count),
      bareUndici: perIteration(bare.cpuUs, bare.value.count),
      rehearse: perIteration(rehearse.cpuUs, rehearse.value.count),
      rehearseWorkers2: perIteration(threads.cpuUs, threads.value.count),
    },
    openLoop2k: open2k,
  };
  console.log(JSON.stringify(result));
} finally {
  await app.stop("SIGTERM", 5_000);
}
