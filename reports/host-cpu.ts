/**
 * The host's CPU per phase, from the sampler's timeline: how busy the machine
 * was and how much CPU the hypervisor took for other guests (steal). Steal is
 * noise the run did not cause; when a phase had much of it, small deltas are
 * not evidence of anything.
 */
import type { RunReport } from "./schema.ts";

export interface PhaseHostCpu {
  phase: string;
  seconds: number;
  busyPctMean: number;
  stealPctMean: number;
  stealPctMax: number;
}

/** A second with this much steal moves a p95 over a short phase (seen: 10–20% on shared 2-core VMs). */
export const NOISY_STEAL_PCT = 10;

const round1 = (n: number) => Math.round(n * 10) / 10;

export function hostCpuByPhase(report: RunReport): PhaseHostCpu[] {
  const out: PhaseHostCpu[] = [];
  for (const phase of report.phases) {
    // A sample covers the second before its tick: it belongs where that second's middle falls.
    const host = report.timeline
      .filter((s) => s.tMs - 500 >= phase.startMs && s.tMs - 500 < phase.endMs)
      .flatMap((s) => (s.host ? [s.host] : []));
    if (host.length === 0) continue;
    const mean = (pick: (h: (typeof host)[number]) => number) =>
      round1(host.reduce((sum, h) => sum + pick(h), 0) / host.length);
    out.push({
      phase: phase.name,
      seconds: host.length,
      busyPctMean: mean((h) => h.busyPct),
      stealPctMean: mean((h) => h.stealPct),
      stealPctMax: Math.max(...host.map((h) => h.stealPct)),
    });
  }
  return out;
}

/** One line for the console and Markdown: "host CPU: baseline 31% busy, steal ≤ 12% · …". */
export function hostCpuLine(report: RunReport): string | undefined {
  const phases = hostCpuByPhase(report);
  if (phases.length === 0) return undefined;
  return `host CPU: ${phases.map((p) => `${p.phase} ${p.busyPctMean}% busy, steal ≤ ${p.stealPctMax}%`).join(" · ")}`;
}
