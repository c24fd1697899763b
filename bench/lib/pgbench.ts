/** The peer every bench compares with: pgbench running `SELECT 1` through PgBouncer. */
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execLocal } from "../../containers/exec-local.ts";

export interface PgbenchResult {
  tps: number;
  transactions: number;
  /** pgbench's own CPU (user + system) per transaction, µs. */
  cpuUsPerXact: number;
}

/** `clients` connections over `threads` threads (-j) for `seconds`, simple protocol, no vacuum. */
export async function pgbenchSelect1(
  pgbouncerUrl: string,
  options: { seconds: number; clients?: number; threads?: number },
): Promise<PgbenchResult> {
  const url = new URL(pgbouncerUrl);
  const script = join(tmpdir(), `rehearse-bench-select1-${process.pid}.sql`);
  writeFileSync(script, "SELECT 1;\n");
  const env = {
    PATH: `${process.env.PG_BINDIR ?? "/usr/lib/postgresql/15/bin"}:${process.env.PATH ?? ""}`,
    PGHOST: url.hostname,
    PGPORT: url.port,
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: decodeURIComponent(url.password),
    PGDATABASE: url.pathname.slice(1),
    TIMEFORMAT: "%U %S",
  };
  const args = `-n -M simple -f ${script} -c ${options.clients ?? 16} -j ${options.threads ?? 2} -T ${options.seconds}`;
  try {
    // bash's `time` gives pgbench's own CPU (user, system) on stderr.
    const result = await execLocal(["bash", "-c", `time pgbench ${args}`], env, {
      timeoutMs: (options.seconds + 30) * 1000,
    });
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(result.stdout)?.[1]);
    if (!tps) throw new Error(`pgbench failed (${result.exitCode}): ${result.stderr.trim()}`);
    const [user, sys] = (result.stderr.trim().split("\n").pop() ?? "").split(" ").map(Number);
    const transactions = Number(/number of transactions actually processed: (\d+)/.exec(result.stdout)?.[1]);
    return { tps, transactions, cpuUsPerXact: (((user ?? 0) + (sys ?? 0)) * 1e6) / transactions };
  } finally {
    rmSync(script, { force: true });
  }
}
