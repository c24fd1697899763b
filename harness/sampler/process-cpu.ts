/**
 * Whose CPU it was: each second, the CPU time of rehearse itself (its process
 * and its deploy workers), the app under test's instances, each server, and
 * everything else on the machine, in cores (1.0 = one core busy for the
 * second). On one machine the app, the servers and rehearse share the cores:
 * this tells a saturated app from a starved generator, and a rehearsal from a
 * neighbour that was busy beside it. Linux only (/proc); elsewhere nothing.
 */
import { cpus } from "node:os";
import type { ServiceName } from "../../containers/types.ts";
import { descendantsOf, hasProcfs, type ProcStat, readProcesses } from "../../core/procfs.ts";
import type { HostCpuSample } from "./host-cpu.ts";

export interface ProcessGroups {
  /** Process group ids of the app under test's instances. */
  appGroups: number[];
  /** Each server's processes as this machine sees them (none for an external stack). */
  services: Partial<Record<ServiceName, number[]>>;
  /** A staging app on loopback (the target's app.baseUrl): the processes listening on its port. */
  appPids?: number[];
  /** The other parts of this run on this machine (`--segment`, the same `--start-at`): rehearse's load too. */
  partPids?: number[];
}

/** Cores used over the last interval by each of the rehearsal's parts, and by the rest of the machine. */
export interface ProcessCpuSample {
  rehearse: number;
  app: number;
  /** The busiest app instance alone (a single-threaded app saturates at 1.0). */
  appMax: number;
  postgres: number;
  pgbouncer: number;
  redis: number;
  /** The host's busy time not accounted for by the above: other programs on the machine. */
  other: number;
  /** The busiest other processes by name (comm), cores, when they used a tenth of a core or more; empty on a quiet host. */
  topOther: { name: string; cores: number }[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export class ProcessCpu {
  private last = new Map<number, number>();
  private lastAt = performance.now();
  private readonly cores = cpus().length;
  readonly available = hasProcfs();

  /** The CPU times the first interval counts from. */
  async start(): Promise<void> {
    if (!this.available) return;
    const processes = await readProcesses();
    this.lastAt = performance.now();
    for (const p of processes) this.last.set(p.pid, p.cpuS);
  }

  /** The processes now, read without blocking, each with its cwd (a native server's are found by it). */
  scan(): Promise<ProcStat[]> {
    return this.available ? readProcesses({ cwd: true }) : Promise.resolve([]);
  }

  /** CPU per part since the previous call, from `processes` (this tick's scan); `host` (this interval's
   * whole-machine CPU) gives `other`. */
  sample(processes: ProcStat[], groups: ProcessGroups, host: HostCpuSample | undefined): ProcessCpuSample | undefined {
    if (!this.available) return undefined;
    const now = performance.now();
    const seconds = (now - this.lastAt) / 1000;
    this.lastAt = now;
    const used = new Map<number, number>();
    const next = new Map<number, number>();
    for (const p of processes) {
      next.set(p.pid, p.cpuS);
      const before = this.last.get(p.pid);
      // A process born during the interval: all of its CPU time is this interval's.
      used.set(p.pid, Math.max(0, p.cpuS - (before ?? 0)));
    }
    this.last = next;
    if (seconds <= 0) return undefined;
    const claimed = new Set<number>();
    const sum = (pids: Iterable<number>) => {
      let cpu = 0;
      for (const pid of pids) {
        if (claimed.has(pid)) continue;
        claimed.add(pid);
        cpu += used.get(pid) ?? 0;
      }
      return round2(cpu / seconds);
    };
    const byGroup = [
      ...groups.appGroups.map((pgid) => sum(processes.filter((p) => p.pgrp === pgid).map((p) => p.pid))),
      // A staging app's processes each on their own (a cluster's workers are one instance each, as ours are).
      ...(groups.appPids ?? []).map((pid) => sum([pid])),
    ];
    const app = round2(byGroup.reduce((a, b) => a + b, 0));
    const appMax = Math.max(0, ...byGroup);
    const postgres = sum(groups.services.postgres ?? []);
    const pgbouncer = sum(groups.services.pgbouncer ?? []);
    const redis = sum(groups.services.redis ?? []);
    // Whatever else rehearse started (deploy workers, its own process) and has not been counted above.
    const rehearse = round2(sum(descendantsOf(process.pid, processes)) + sum(groups.partPids ?? []));
    const ours = rehearse + app + postgres + pgbouncer + redis;
    const hostCores = host ? (host.busyPct / 100) * this.cores : undefined;
    const other = hostCores === undefined ? 0 : round2(Math.max(0, hostCores - ours));
    return {
      rehearse,
      app,
      appMax,
      postgres,
      pgbouncer,
      redis,
      other,
      topOther: topOthers(processes, used, claimed, seconds, other),
    };
  }
}

/** The others that used the most CPU, by name: "chromium 0.6", so a finding can say who the neighbour was. */
function topOthers(
  processes: ProcStat[],
  used: Map<number, number>,
  claimed: Set<number>,
  seconds: number,
  other: number,
): ProcessCpuSample["topOther"] {
  if (other < 0.1) return [];
  const byName = new Map<string, number>();
  for (const p of processes) {
    if (claimed.has(p.pid)) continue;
    const cpu = (used.get(p.pid) ?? 0) / seconds;
    if (cpu > 0) byName.set(p.name, (byName.get(p.name) ?? 0) + cpu);
  }
  const top = [...byName]
    .filter(([, cores]) => cores >= 0.1)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, cores]) => ({ name, cores: round2(cores) }));
  return top;
}
