/**
 * bench/calibrate: which class of machine is this? One line, for the top of a
 * CI log: pgbench `SELECT 1` through PgBouncer (16 clients, the figure
 * ENVIRONMENT.md's floors are given in) on a native stack for a few seconds,
 * and the host's CPU over the same seconds (busy, steal). A log whose tests
 * ran on a machine half as fast says so here.
 * Usage: node bench/calibrate.ts [seconds, default 3]
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { execLocal } from "../containers/exec-local.ts";
import { cpuBetween, parseProcStat } from "../harness/sampler/host-cpu.ts";
import { newStateDir, startTestStack } from "../test/helpers/stack.ts";

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
const script = join(tmpdir(), `rehearse-calibrate-${process.pid}.sql`);
try {
  writeFileSync(script, "SELECT 1;\n");
  const url = new URL(stack.urls.pgbouncer);
  const env = {
    PATH: `${process.env.PG_BINDIR ?? "/usr/lib/postgresql/15/bin"}:${process.env.PATH ?? ""}`,
    PGHOST: url.hostname,
    PGPORT: url.port,
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: decodeURIComponent(url.password),
    PGDATABASE: url.pathname.slice(1),
  };
  const before = procStat();
  const args = ["-n", "-M", "simple", "-f", script, "-c", String(CLIENTS), "-j", "2", "-T", String(SECONDS)];
  const result = await execLocal(["pgbench", ...args], env, { timeoutMs: (SECONDS + 30) * 1000 });
  const after = procStat();
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(result.stdout)?.[1];
  if (!tps) throw new Error(`pgbench failed (${result.exitCode}): ${result.stderr.trim()}`);
  const cpu = before && after ? cpuBetween(before, after) : undefined;
  const host = cpu ? `host ${cpu.busyPct}% busy, steal ${cpu.stealPct}%` : "host CPU unknown (no /proc/stat)";
  console.log(
    `calibration: pgbench SELECT 1 via PgBouncer, ${CLIENTS} clients, ${SECONDS} s: ${Math.round(Number(tps))} tps; ${host}; ${cpus().length} cores; node ${process.version}`,
  );
} finally {
  rmSync(script, { force: true });
  await stack.teardown();
}
