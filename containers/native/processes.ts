/**
 * Finding a native server's processes. Process groups are not enough:
 * Postgres puts every backend in a session (and group) of its own. Every
 * process the harness starts works inside its stack's temp dir (Postgres
 * chdirs into its data dir), and children inherit that, so the cwd finds them.
 */
import { readdirSync, readlinkSync } from "node:fs";

/** Pids of the processes whose working directory is `dir` or below it. */
export function processesWorkingIn(dir: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`).replace(/ \(deleted\)$/, "");
      if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push(Number(name));
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
