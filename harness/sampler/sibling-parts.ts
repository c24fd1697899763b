/**
 * The other parts of this run that run on this machine: `rehearse run --segment k/N --start-at T` processes
 * with the same start instant T (three parts tried on one machine, or CI jobs sharing a runner). Their load is
 * this rehearsal's, not a neighbour's: the sampler counts their CPU as rehearse's. Parts on other machines
 * are out of sight, as their CPU is out of this host's.
 */
import { argvOf, descendantsOf, type ProcStat } from "../../core/procfs.ts";

/** Reading every process' arguments: once a part's load starts, then at most this often. */
const LOOKUP_EVERY_MS = 10_000;

/** Whether `argv` is a part of the run that starts at `startAtEpochMs` (the flag's text may differ: parsed). */
export function isPartOf(argv: readonly string[], startAtEpochMs: number): boolean {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    if (i >= 0) return argv[i + 1];
    return argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
  };
  const startAt = value("--start-at");
  return value("--segment") !== undefined && startAt !== undefined && Date.parse(startAt) === startAtEpochMs;
}

export class SiblingParts {
  private roots: number[] = [];
  private lookedUpAt = Number.NEGATIVE_INFINITY;

  private readonly startAtEpochMs: number;

  constructor(startAtEpochMs: number) {
    this.startAtEpochMs = startAtEpochMs;
  }

  /** The siblings' processes (and their children) among `processes`; this process is rehearse's already. */
  async pids(processes: ProcStat[]): Promise<number[]> {
    const now = performance.now();
    if (now - this.lookedUpAt >= LOOKUP_EVERY_MS) {
      this.lookedUpAt = now;
      const others = processes.filter((p) => p.pid !== process.pid);
      const argvs = await Promise.all(others.map((p) => argvOf(p.pid)));
      this.roots = others.filter((_, i) => isPartOf(argvs[i] ?? [], this.startAtEpochMs)).map((p) => p.pid);
    }
    const alive = new Set(processes.map((p) => p.pid));
    return this.roots.filter((pid) => alive.has(pid)).flatMap((pid) => descendantsOf(pid, processes));
  }
}
