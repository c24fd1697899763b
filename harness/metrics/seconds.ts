/**
 * One series' iterations second by second (by the second they completed in,
 * on the load's clock): a latency histogram, completions, failures and late
 * starts per second, so a budget can be judged on its worst rolling window. A second is
 * encoded (a few hundred bytes) as soon as the next one begins, so only one
 * histogram per series is live, however long the phase.
 */
import type { SecondsRecord } from "../../reports/schema.ts";
import { decodeHistogram, encodeHistogram, type Histogram, newHistogram, recordMs } from "./histogram.ts";

/** One closed second: its latencies encoded ("" when it had none). */
export interface ClosedSecond {
  second: number;
  latency: string;
  count: number;
  failed: number;
  /** Of `count`, iterations that started later than the generator's tolerance (unknown in older parts). */
  late?: number;
}

export class SecondBuckets {
  private readonly originMs: number;
  private current: { second: number; latency: Histogram; count: number; failed: number; late: number } | undefined;
  private readonly closedSeconds: ClosedSecond[] = [];

  /** `originMs`: performance.now() of the load's start (second 0). */
  constructor(originMs: number) {
    this.originMs = originMs;
  }

  record(endMs: number, latencyMs: number, failed: boolean, late: boolean): void {
    const now = this.open(endMs);
    recordMs(now.latency, latencyMs);
    now.count++;
    if (failed) now.failed++;
    if (late) now.late++;
  }

  /** Iterations that never completed (cut off at gracefulStop) fail in the second they were given up. */
  recordInterrupted(atMs: number, count: number): void {
    if (count <= 0) return;
    const now = this.open(atMs);
    now.count += count;
    now.failed += count;
  }

  /** Every second so far, the live one included, in order. */
  closed(): ClosedSecond[] {
    const live = this.current;
    if (!live) return [...this.closedSeconds];
    return [
      ...this.closedSeconds,
      { ...live, latency: live.latency.totalCount > 0 ? encodeHistogram(live.latency) : "" },
    ];
  }

  /** Adds another thread's seconds of the same series (same origin: the load's shared start), second by
   * second; the main thread of a run with workers records none of its own. */
  absorb(seconds: ClosedSecond[]): void {
    const all = mergeSeconds([this.closed(), seconds]);
    this.current = undefined;
    this.closedSeconds.length = 0;
    if (!all) return;
    all.count.forEach((count, i) => {
      if (count === 0 && (all.failed[i] ?? 0) === 0) return;
      this.closedSeconds.push({
        second: all.fromS + i,
        latency: all.latency[i] ?? "",
        count,
        failed: all.failed[i] ?? 0,
        ...(all.late && { late: all.late[i] ?? 0 }),
      });
    });
  }

  private open(atMs: number) {
    const second = Math.max(0, Math.floor((atMs - this.originMs) / 1000));
    const live = this.current;
    if (live && live.second === second) return live;
    // Completions arrive in time order; one from an earlier second (a clock tie) joins the live one.
    if (live && second < live.second) return live;
    if (live)
      this.closedSeconds.push({ ...live, latency: live.latency.totalCount > 0 ? encodeHistogram(live.latency) : "" });
    const reused = live?.latency;
    reused?.reset();
    this.current = { second, latency: reused ?? newHistogram(), count: 0, failed: 0, late: 0 };
    return this.current;
  }
}

/** Several series' seconds (the scenarios that ran one op in one phase), added second by second. */
export function mergeSeconds(lists: ClosedSecond[][]): SecondsRecord | undefined {
  const all = lists.flat();
  if (all.length === 0) return undefined;
  const fromS = Math.min(...all.map((s) => s.second));
  const toS = Math.max(...all.map((s) => s.second));
  const length = toS - fromS + 1;
  const record: SecondsRecord = {
    fromS,
    latency: Array(length).fill(""),
    count: Array(length).fill(0),
    failed: Array(length).fill(0),
    // Late starts only where every second knows them: a window check without them assumes the worst.
    ...(all.every((s) => s.late !== undefined) && { late: Array(length).fill(0) }),
  };
  const histograms = new Map<number, Histogram>();
  for (const s of all) {
    const i = s.second - fromS;
    record.count[i] = (record.count[i] ?? 0) + s.count;
    record.failed[i] = (record.failed[i] ?? 0) + s.failed;
    if (record.late) record.late[i] = (record.late[i] ?? 0) + (s.late ?? 0);
    if (s.latency === "") continue;
    const h = histograms.get(i) ?? newHistogram();
    h.add(decodeHistogram(s.latency));
    histograms.set(i, h);
  }
  for (const [i, h] of histograms) record.latency[i] = encodeHistogram(h);
  return record;
}
