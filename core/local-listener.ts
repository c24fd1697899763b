/**
 * The process listening on a TCP port of this machine, and its descendants (Postgres' backends are the
 * postmaster's children; `npm start` runs the app as npm's child): what a server or app given only by a
 * loopback URL is, for counting its CPU as the system's rather than a neighbour's.
 */
import { allProcesses, descendantsOf, listenerOf, type ProcStat } from "./procfs.ts";

/** The look-up scans every process' fds: once, and again only when the listener went, at most this often. */
const LOOKUP_EVERY_MS = 10_000;

export class LocalListener {
  private pid: number | undefined;
  private lookedUpAt = Number.NEGATIVE_INFINITY;

  private readonly port: number;

  constructor(port: number) {
    this.port = port;
  }

  async pids(processes?: ProcStat[]): Promise<number[]> {
    const now = performance.now();
    const alive = this.pid !== undefined && (processes ?? allProcesses()).some((p) => p.pid === this.pid);
    if (!alive && now - this.lookedUpAt >= LOOKUP_EVERY_MS) {
      this.lookedUpAt = now;
      this.pid = await listenerOf(this.port);
    }
    return this.pid === undefined ? [] : descendantsOf(this.pid, processes);
  }
}
