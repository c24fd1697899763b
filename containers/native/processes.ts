/**
 * Finding a native server's processes. Process groups are not enough:
 * Postgres puts every backend in a session (and group) of its own. Every
 * process the harness starts works inside its stack's temp dir (Postgres
 * chdirs into its data dir), and children inherit that, so the cwd finds them.
 */
import { readdirSync, readlinkSync } from "node:fs";
import { cwdOfLink, type ProcStat } from "../../core/procfs.ts";

const inside = (cwd: string, dir: string) => cwd === dir || cwd.startsWith(`${dir}/`);

/** Pids of the processes whose working directory is `dir` or below it; from `processes` when they were read
 * with their cwd (the sampler's scan, done without blocking), else by a scan of /proc now. */
export function processesWorkingIn(dir: string, processes?: ProcStat[]): number[] {
  if (processes)
    return processes.flatMap((p) =>
      p.pid !== process.pid && p.cwd !== undefined && inside(p.cwd, dir) ? [p.pid] : [],
    );
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cwd = cwdOfLink(readlinkSync(`/proc/${name}/cwd`));
      if (inside(cwd, dir)) found.push(Number(name));
    } catch {
      // The process ended, or is not ours to inspect.
    }
  }
  return found;
}

/** Sends `signal` to each process; ones that already ended are skipped. */
export function signalEach(pids: Iterable<number>, signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }
}
