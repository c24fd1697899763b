/**
 * A worker thread's metrics sent to the main thread and added into its store: every histogram encoded
 * (HdrHistograms merge without loss beyond their own precision), every counter summed. The main thread's
 * store then holds exactly what one process running the whole schedule would have recorded.
 */
import { decodeHistogram, encodeHistogram, type Histogram, newHistogram, valueAtPercentileMs } from "./histogram.ts";
import type { OpSeconds, PerSecondLatency } from "./per-second.ts";
import type { ClosedSecond } from "./seconds.ts";
import { type MetricsStore, type Series, TRENDS, type Trend } from "./store.ts";

export interface SeriesWire {
  op: string;
  tags: Record<string, string>;
  trends: Record<Trend, string>;
  counters: Record<(typeof COUNTERS)[number], number>;
  statusCounts: Record<string, number>;
  httpDuration: string;
  byName: { name: string; requests: number; failed: number; statusCounts: Record<string, number>; duration: string }[];
  errors: Record<string, number>;
  seconds?: ClosedSecond[];
  halves?: { latency: [string, string]; pool_wait: [string, string] };
}

const COUNTERS = [
  "iterations",
  "dropped",
  "interrupted",
  "cacheHits",
  "cacheMisses",
  "httpRequests",
  "httpFailed",
  "checksPassed",
  "checksFailed",
] as const;

const add = (into: Histogram, encoded: string) => {
  if (encoded !== "") into.add(decodeHistogram(encoded));
};
const encoded = (h: Histogram) => (h.totalCount > 0 ? encodeHistogram(h) : "");

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/** `whole`: with the series' seconds and halves (the end of a load); without, what a live budget reads. */
export function seriesToWire(s: Series, whole = true): SeriesWire {
  return {
    op: s.op,
    tags: { ...s.tags },
    trends: Object.fromEntries(TRENDS.map((t) => [t, encoded(s.trends[t])])) as Record<Trend, string>,
    counters: Object.fromEntries(COUNTERS.map((c) => [c, s[c]])) as SeriesWire["counters"],
    statusCounts: { ...s.statusCounts },
    httpDuration: encoded(s.httpDuration),
    byName: [...s.byName].map(([name, n]) => ({
      name,
      requests: n.requests,
      failed: n.failed,
      statusCounts: { ...n.statusCounts },
      duration: encoded(n.duration),
    })),
    errors: { ...s.errors },
    ...(whole && s.seconds && { seconds: s.seconds.closed() }),
    ...(whole &&
      s.halves && {
        halves: {
          latency: [encoded(s.halves.latency[0]), encoded(s.halves.latency[1])],
          pool_wait: [encoded(s.halves.pool_wait[0]), encoded(s.halves.pool_wait[1])],
        },
      }),
  };
}

export const storeToWire = (store: MetricsStore, whole = true): SeriesWire[] =>
  store.all().map((s) => seriesToWire(s, whole));

/** Adds a worker's series into the store. `secondsFromMs` and `halfAtMs` only decide whether the series
 * keeps seconds and halves at all (a worker's series has them where the main thread's would). */
export function absorbSeries(store: MetricsStore, wire: SeriesWire): void {
  const s = store.series(wire.op, wire.tags, wire.seconds ? 0 : undefined, wire.halves ? 0 : undefined);
  for (const t of TRENDS) add(s.trends[t], wire.trends[t]);
  for (const c of COUNTERS) s[c] += wire.counters[c];
  addCounts(s.statusCounts, wire.statusCounts);
  add(s.httpDuration, wire.httpDuration);
  for (const n of wire.byName) {
    const named = s.byName.get(n.name) ?? { requests: 0, failed: 0, statusCounts: {}, duration: newHistogram() };
    named.requests += n.requests;
    named.failed += n.failed;
    addCounts(named.statusCounts, n.statusCounts);
    add(named.duration, n.duration);
    s.byName.set(n.name, named);
  }
  addCounts(s.errors, wire.errors);
  if (wire.seconds) s.seconds?.absorb(wire.seconds);
  if (wire.halves && s.halves) {
    for (const t of ["latency", "pool_wait"] as const) {
      add(s.halves[t][0], wire.halves[t][0]);
      add(s.halves[t][1], wire.halves[t][1]);
    }
  }
}

/** Per-second figures of several workers added second by second (second k of each is the same second of the
 * run clock: they started together); each second's p95 from the merged histograms. The histograms stay
 * when `keep` (a segment's part, merged again later). */
export function mergeSecondsOfWorkers(
  workers: Record<string, OpSeconds>[],
  keep: boolean,
  into: PerSecondLatency,
): void {
  into.ops.clear();
  const names = [...new Set(workers.flatMap((w) => Object.keys(w)))];
  for (const op of names) {
    const list = workers.flatMap((w) => (w[op] ? [w[op]] : []));
    const length = Math.max(...list.map((s) => s.count.length));
    const sum = (f: (s: OpSeconds) => number[]) =>
      Array.from({ length }, (_, i) => list.reduce((n, s) => n + (f(s)[i] ?? 0), 0));
    const histograms = (f: (s: OpSeconds) => string[] | undefined) =>
      Array.from({ length }, (_, i) => {
        const h = newHistogram();
        for (const s of list) add(h, f(s)?.[i] ?? "");
        return h;
      });
    const latency = histograms((s) => s.latency);
    const poolWait = histograms((s) => s.poolWait);
    const p95 = (hs: Histogram[]) => hs.map((h) => (h.totalCount > 0 ? round(valueAtPercentileMs(h, 95)) : null));
    into.ops.set(op, {
      p95Ms: p95(latency),
      poolWaitP95Ms: p95(poolWait),
      count: sum((s) => s.count),
      errors: sum((s) => s.errors),
      cacheHits: sum((s) => s.cacheHits),
      cacheMisses: sum((s) => s.cacheMisses),
      ...(keep && { latency: latency.map(encoded), poolWait: poolWait.map(encoded) }),
    });
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
