/**
 * bench/segments: the generator on both cores of one machine as two processes (`rehearse run --segment k/2
 * --start-at`, merged by `rehearse merge`) and as one process with two load threads (`--workers 2`) against
 * one process with one, on the same stack, beside pgbench in the same run:
 *   1. closed-loop SELECT 1 through PgBouncer, 16 VUs (8 + 8 in two parts): iterations/s and the generator's
 *      CPU per iteration (µs, its processes' own CPU time), pgbench -j2 with 16 clients likewise;
 *   2. open loop at RATE/s: achieved, dispatch lag p99, valid or not, with one process and with two.
 * Every rehearse figure is from the CLI's own report.json, as a user would get it.
 * Usage: node bench/segments.ts [seconds per measurement, default 10] [open-loop rate, default 5000]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunReport } from "../reports/schema.ts";
import { newStateDir, startTestStack, testEnv } from "../test/helpers/stack.ts";
import { pgbenchSelect1 } from "./lib/pgbench.ts";

const SECONDS = Number(process.argv[2] ?? 10);
const RATE = Number(process.argv[3] ?? 5000);
const BIN = fileURLToPath(new URL("../bin/rehearse.js", import.meta.url));
const SCENARIO = fileURLToPath(new URL("./scenarios/select1.ts", import.meta.url));
/** Time for two processes to load the scenario and connect before their shared start. */
const LEAD_MS = 6_000;

const stateDir = newStateDir();
const stack = await startTestStack("native", stateDir);
const dir = mkdtempSync(join(tmpdir(), "rehearse-bench-segments-"));
const target = join(dir, "target.json");
writeFileSync(target, JSON.stringify({ name: "bench", ...stack.urls }));

function cli(args: string[], env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "ignore", "inherit"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), (SECONDS + 120) * 1000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

const report = (out: string): RunReport =>
  JSON.parse(readFileSync(join(out, "select1", "report.json"), "utf8")) as RunReport;

/** One process (parts = 1) or `parts` processes merged: the run's report and its generators' CPU µs. */
async function rehearse(mode: "closed" | "open", parts: number, tag: string, workers = 1) {
  const env = { ...testEnv(stateDir), BENCH_MODE: mode, BENCH_RATE: String(RATE), BENCH_SECONDS: String(SECONDS) };
  const base = ["run", SCENARIO, "--target", target, "--no-progress", "--workers", String(workers)];
  if (parts === 1) {
    const out = join(dir, `${tag}-one-${workers}`);
    await cli([...base, "--out", out], env);
    const r = report(out);
    return { report: r, cpuUs: (r.generator.cpuPercent / 100) * r.durationMs * 1000 };
  }
  const startAt = new Date(Date.now() + LEAD_MS).toISOString();
  const outs = Array.from({ length: parts }, (_, i) => join(dir, `${tag}-part${i + 1}`));
  await Promise.all(
    outs.map((out, i) => cli([...base, "--segment", `${i + 1}/${parts}`, "--start-at", startAt, "--out", out], env)),
  );
  const merged = join(dir, `${tag}-merged`);
  await cli(["merge", ...outs.map((o) => join(o, "select1", "report.json")), "--out", merged], env);
  const cpuUs = outs.map(report).reduce((n, r) => n + (r.generator.cpuPercent / 100) * r.durationMs * 1000, 0);
  return { report: report(merged), cpuUs };
}

const iterations = (r: RunReport) => r.ops.reduce((n, o) => n + o.count, 0);

try {
  const peer = await pgbenchSelect1(stack.urls.pgbouncer, { seconds: SECONDS });
  const closedOne = await rehearse("closed", 1, "closed");
  const closedTwo = await rehearse("closed", 2, "closed");
  const closedThreads = await rehearse("closed", 1, "closed", 2);
  const openOne = await rehearse("open", 1, "open");
  const openTwo = await rehearse("open", 2, "open");
  const openThreads = await rehearse("open", 1, "open", 2);
  console.log(`## segments on one machine (native stack, ${SECONDS} s per measurement)\n`);
  console.log("| closed loop, SELECT 1 via PgBouncer, 16 clients | per second | ÷ pgbench | CPU µs per iteration |");
  console.log("|---|---|---|---|");
  console.log(`| pgbench -j2 -M simple | ${peer.tps.toFixed(0)} | 1.00 | ${peer.cpuUsPerXact.toFixed(1)} |`);
  for (const [name, r] of [
    ["rehearse, one process", closedOne],
    ["rehearse, 2 segments merged", closedTwo],
    ["rehearse, one process, --workers 2", closedThreads],
  ] as const) {
    const n = iterations(r.report);
    const rate = n / SECONDS;
    console.log(`| ${name} | ${rate.toFixed(0)} | ${(rate / peer.tps).toFixed(2)} | ${(r.cpuUs / n).toFixed(1)} |`);
  }
  console.log(`\n| open loop at ${RATE}/s | achieved/s | dispatch lag p99 (ms) | valid |`);
  console.log("|---|---|---|---|");
  for (const [name, r] of [
    ["one process", openOne],
    ["2 segments merged", openTwo],
    ["one process, --workers 2", openThreads],
  ] as const) {
    const g = r.report.generator;
    console.log(
      `| ${name} | ${g.achievedRate.toFixed(0)} | ${g.dispatchLagP99Ms} | ${g.valid ? "yes" : `no: ${g.reasons.join("; ")}`} |`,
    );
  }
} finally {
  await stack.teardown();
}
