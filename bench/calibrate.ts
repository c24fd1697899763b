/**
 * bench/calibrate: which class of machine is this? One line, for the top of a
 * CI log: pgbench `SELECT 1` through PgBouncer (16 clients, the figure
 * ENVIRONMENT.md's floors are given in) on a native stack for a few seconds,
 * and the host's CPU over the same seconds (busy, steal). A log whose tests
 * ran on a machine half as fast says so here.
 * Usage: node bench/calibrate.ts [seconds, default 3]
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { cpuBetween, parseProcStat } from "../harness/sampler/host-cpu.ts";
import { newStateDir, startTestStack } from "../test/helpers/stack.ts";
import { pgbenchSelect1 } from "./lib/pgbench.ts";

const SECONDS = Number(process.argv[2] ?? 3);
const CLIENTS = 16;

const procStat = () => {
  try {
    return parseProcStat(readFileSync("/proc/stat", "utf8"));
  } catch {
    return undefined;
  }
};

const stack = await startTestStack("native", newStateDir());
try {
  const before = procStat();
  const { tps } = await pgbenchSelect1(stack.urls.pgbouncer, { seconds: SECONDS, clients: CLIENTS });
  const after = procStat();
  const cpu = before && after ? cpuBetween(before, after) : undefined;
  const host = cpu ? `host ${cpu.busyPct}% busy, steal ${cpu.stealPct}%` : "host CPU unknown (no /proc/stat)";
  console.log(
    `calibration: pgbench SELECT 1 via PgBouncer, ${CLIENTS} clients, ${SECONDS} s: ${Math.round(tps)} tps; ${host}; ${cpus().length} cores; node ${process.version}`,
  );
} finally {
  await stack.teardown();
}
