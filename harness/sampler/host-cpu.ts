/**
 * The CPU of the machine running rehearse, from /proc/stat: how busy it was,
 * how much time waited on I/O, and how much the hypervisor took for other
 * guests (steal). On a shared VM, steal moves latencies as much as a fault
 * does; the report shows it so a noisy baseline can be told from an effect.
 * On a local stack (native or local Docker) this is the servers' machine too.
 */
import { readFileSync } from "node:fs";

export interface CpuTimes {
  busy: number;
  idle: number;
  iowait: number;
  steal: number;
}

/** Percentages of all CPU time over one interval. */
export interface HostCpuSample {
  busyPct: number;
  iowaitPct: number;
  stealPct: number;
}

/** The aggregate `cpu` line of /proc/stat (jiffies since boot); undefined if it is not there. */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return undefined;
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 8 || fields.some((n) => !Number.isFinite(n))) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  return { busy: user + nice + system + irq + softirq, idle, iowait, steal };
}

const pct = (part: number, total: number) => Math.round((part / total) * 1000) / 10;

/** What happened between two readings; undefined when no time passed. */
export function cpuBetween(before: CpuTimes, after: CpuTimes): HostCpuSample | undefined {
  const d = {
    busy: after.busy - before.busy,
    idle: after.idle - before.idle,
    iowait: after.iowait - before.iowait,
    steal: after.steal - before.steal,
  };
  const total = d.busy + d.idle + d.iowait + d.steal;
  if (total <= 0) return undefined;
  return { busyPct: pct(d.busy, total), iowaitPct: pct(d.iowait, total), stealPct: pct(d.steal, total) };
}

/** Reads /proc/stat on each call and returns the interval since the previous call. */
export class HostCpu {
  private last: CpuTimes | undefined;

  constructor() {
    this.last = readTimes();
  }

  read(): HostCpuSample | undefined {
    const now = readTimes();
    const sample = now && this.last ? cpuBetween(this.last, now) : undefined;
    this.last = now;
    return sample;
  }
}

function readTimes(): CpuTimes | undefined {
  try {
    return parseProcStat(readFileSync("/proc/stat", "utf8"));
  } catch {
    return undefined; // not Linux: no host CPU series
  }
}
