/**
 * A run is disturbed where other programs on its host were busy: two or more consecutive sampler seconds in
 * which the CPU not used by rehearse, the app or the servers (timeline cpu.other) reached DISTURBED_CORES.
 * Its latencies then measure the neighbours too; a comparison says so instead of judging them.
 */
import { DISTURBED_CORES, type DisturbedWindow, type TimelineSample } from "../../reports/schema.ts";

const MIN_SECONDS = 2;

export function disturbedWindows(timeline: TimelineSample[]): DisturbedWindow[] {
  const windows: DisturbedWindow[] = [];
  let run: TimelineSample[] = [];
  const close = () => {
    if (run.length >= MIN_SECONDS) {
      const first = run[0] as TimelineSample;
      const last = run.at(-1) as TimelineSample;
      const cores = run.reduce((n, s) => n + (s.cpu?.other ?? 0), 0) / run.length;
      const names = new Map<string, number>();
      for (const s of run) for (const t of s.cpu?.topOther ?? []) names.set(t.name, (names.get(t.name) ?? 0) + t.cores);
      windows.push({
        // A sample covers the second before it.
        fromMs: first.tMs - 1000,
        toMs: last.tMs,
        otherCores: Math.round(cores * 100) / 100,
        by: [...names.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([name]) => name),
      });
    }
    run = [];
  };
  for (const s of timeline) {
    if ((s.cpu?.other ?? 0) >= DISTURBED_CORES) run.push(s);
    else close();
  }
  close();
  return windows;
}

/** The windows that overlap [fromMs, toMs). */
export function disturbedIn(windows: DisturbedWindow[] | undefined, fromMs: number, toMs: number): DisturbedWindow[] {
  return (windows ?? []).filter((w) => w.fromMs < toMs && w.toMs > fromMs);
}
