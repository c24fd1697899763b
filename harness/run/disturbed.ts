/**
 * A run is disturbed where others used its host's CPU: two or more consecutive sampler seconds in which the
 * CPU not used by rehearse, the app or the servers (timeline cpu.other), plus what the hypervisor gave other
 * guests (steal), reached DISTURBED_CORES, or the steal alone reached DISTURBED_STEAL_PCT. Its latencies then measure the neighbours too (a stolen slice
 * stalls whatever ran on that core: on a shared 2-core VM, a run with a quarter of its CPU stolen had an
 * op's p95 and p99 60% above the runs beside it); a comparison says so instead of judging them.
 */
import { cpus } from "node:os";
import {
  DISTURBED_CORES,
  DISTURBED_STEAL_PCT,
  type DisturbedWindow,
  type TimelineSample,
} from "../../reports/schema.ts";

const MIN_SECONDS = 2;
/** How the hypervisor's share is named among the neighbours. */
export const STEAL_NAME = "steal (other VMs)";

/** Cores the hypervisor gave other guests in the second (steal, of `cores` cores). */
const stolenOf = (s: TimelineSample, cores: number) => ((s.host?.stealPct ?? 0) / 100) * cores;
/** Cores others used in the second: other programs, and other guests. */
const othersOf = (s: TimelineSample, cores: number) => (s.cpu?.other ?? 0) + stolenOf(s, cores);

export function disturbedWindows(timeline: TimelineSample[], cores = cpus().length): DisturbedWindow[] {
  const windows: DisturbedWindow[] = [];
  let run: TimelineSample[] = [];
  const close = () => {
    if (run.length >= MIN_SECONDS) {
      const first = run[0] as TimelineSample;
      const last = run.at(-1) as TimelineSample;
      const mean = run.reduce((n, s) => n + othersOf(s, cores), 0) / run.length;
      const names = new Map<string, number>();
      for (const s of run) for (const t of s.cpu?.topOther ?? []) names.set(t.name, (names.get(t.name) ?? 0) + t.cores);
      const stolen = run.reduce((n, s) => n + stolenOf(s, cores), 0);
      if (stolen / run.length >= 0.1) names.set(STEAL_NAME, stolen);
      windows.push({
        // A sample covers the second before it.
        fromMs: first.tMs - 1000,
        toMs: last.tMs,
        otherCores: Math.round(mean * 100) / 100,
        by: [...names.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([name]) => name),
      });
    }
    run = [];
  };
  for (const s of timeline) {
    if (othersOf(s, cores) >= DISTURBED_CORES || (s.host?.stealPct ?? 0) >= DISTURBED_STEAL_PCT) run.push(s);
    else close();
  }
  close();
  return windows;
}

/** The windows that overlap [fromMs, toMs). */
export function disturbedIn(windows: DisturbedWindow[] | undefined, fromMs: number, toMs: number): DisturbedWindow[] {
  return (windows ?? []).filter((w) => w.fromMs < toMs && w.toMs > fromMs);
}
