/**
 * The parts' per-op figures added into one run's: counters summed, histograms merged (HdrHistograms merge
 * without loss beyond their own precision), quantiles read from the merged histograms, never averaged.
 */
import type {
  NamedRequestReport,
  OpReport,
  OpSeconds,
  Quantiles,
  RunReport,
  SecondsRecord,
} from "../../reports/schema.ts";
import { mergeHalves } from "../metrics/halves.ts";
import {
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  newHistogram,
  percentilesMs,
  valueAtPercentileMs,
} from "../metrics/histogram.ts";
import { type ClosedSecond, mergeSeconds } from "../metrics/seconds.ts";
import { mergeCounts, TRENDS } from "../metrics/store.ts";

function merged(encoded: (string | undefined)[]): Histogram {
  const h = newHistogram();
  for (const e of encoded) if (e) h.add(decodeHistogram(e));
  return h;
}

const quantilesOf = (h: Histogram): Quantiles => {
  const p = percentilesMs(h);
  return { p50: p.p50, p95: p.p95, p99: p.p99, max: p.max };
};

function sumBy<T>(list: T[], f: (t: T) => number): number {
  return list.reduce((n, t) => n + f(t), 0);
}

function mergeNamed(lists: NamedRequestReport[][]): NamedRequestReport[] {
  const byName = new Map<string, NamedRequestReport[]>();
  for (const r of lists.flat()) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  return [...byName]
    .map(([name, list]) => {
      const duration = merged(list.map((r) => r.histogram));
      return {
        name,
        count: sumBy(list, (r) => r.count),
        failed: sumBy(list, (r) => r.failed),
        statusCounts: mergeCounts(list.map((r) => r.statusCounts)),
        durationMs: quantilesOf(duration),
        histogram: encodeHistogram(duration),
      };
    })
    .sort((a, b) => b.count - a.count);
}

const closedOf = (r: SecondsRecord): ClosedSecond[] =>
  r.count.map((count, i) => ({
    second: r.fromS + i,
    latency: r.latency[i] ?? "",
    count,
    failed: r.failed[i] ?? 0,
    ...(r.late && { late: r.late[i] ?? 0 }),
  }));

function mergeOne(list: OpReport[]): OpReport {
  const first = list[0] as OpReport;
  const histograms = Object.fromEntries(TRENDS.map((t) => [t, merged(list.map((o) => o.histograms[t]))])) as Record<
    (typeof TRENDS)[number],
    Histogram
  >;
  const http = list.some((o) => o.histograms.http_req_duration)
    ? merged(list.map((o) => o.histograms.http_req_duration))
    : undefined;
  const errorsByClass = Object.fromEntries(
    Object.keys(first.errorsByClass).map((c) => [
      c,
      sumBy(list, (o) => o.errorsByClass[c as keyof OpReport["errorsByClass"]] ?? 0),
    ]),
  ) as OpReport["errorsByClass"];
  const withChecks = list.filter((o) => o.checks);
  const seconds = mergeSeconds(list.flatMap((o) => (o.seconds ? [closedOf(o.seconds)] : [])));
  return {
    op: first.op,
    phase: first.phase,
    count: sumBy(list, (o) => o.count),
    errors: sumBy(list, (o) => o.errors),
    errorsByClass,
    dropped: sumBy(list, (o) => o.dropped),
    interrupted: sumBy(list, (o) => o.interrupted),
    cacheHits: sumBy(list, (o) => o.cacheHits),
    cacheMisses: sumBy(list, (o) => o.cacheMisses),
    ...(list.some((o) => o.statusCounts) && {
      statusCounts: mergeCounts(list.map((o) => o.statusCounts ?? {})),
      requests: mergeNamed(list.map((o) => o.requests ?? [])),
    }),
    ...(withChecks.length > 0 && {
      checks: {
        passed: sumBy(withChecks, (o) => o.checks?.passed ?? 0),
        failed: sumBy(withChecks, (o) => o.checks?.failed ?? 0),
      },
    }),
    latencyMs: quantilesOf(histograms.latency),
    poolWaitMs: quantilesOf(histograms.pool_wait),
    dispatchLagMs: quantilesOf(histograms.dispatch_lag),
    serviceMs: quantilesOf(histograms.service_time),
    histograms: {
      ...(Object.fromEntries(TRENDS.map((t) => [t, encodeHistogram(histograms[t])])) as OpReport["histograms"]),
      ...(http && { http_req_duration: encodeHistogram(http) }),
    },
    ...(seconds && { seconds }),
    ...mergeHalves(list.map((o) => o.halves)),
  };
}

/** One entry per op × phase over every part, in the order they first appear. */
export function mergeOpReports(parts: OpReport[][]): OpReport[] {
  const groups = new Map<string, OpReport[]>();
  for (const o of parts.flat()) {
    const key = `${o.op}\u0000${o.phase}`;
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  return [...groups.values()].map(mergeOne);
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** The parts' seconds added on the run clock (second k of each part is the same wall-clock second: they
 * began at one instant); each second's p95 from its merged histograms. */
export function mergePerSecond(parts: RunReport["perSecond"][]): RunReport["perSecond"] {
  const ops: Record<string, OpSeconds> = {};
  const names = [...new Set(parts.flatMap((p) => Object.keys(p.ops)))];
  for (const op of names) {
    const list = parts.flatMap((p) => (p.ops[op] ? [p.ops[op]] : []));
    const length = Math.max(...list.map((s) => s.count.length));
    const at = (f: (s: OpSeconds) => number[] | undefined) =>
      Array.from({ length }, (_, i) => sumBy(list, (s) => f(s)?.[i] ?? 0));
    const p95 = (f: (s: OpSeconds) => string[] | undefined) =>
      Array.from({ length }, (_, i) => {
        const h = merged(list.map((s) => f(s)?.[i]));
        return h.totalCount > 0 ? round(valueAtPercentileMs(h, 95)) : null;
      });
    ops[op] = {
      p95Ms: p95((s) => s.latency),
      poolWaitP95Ms: p95((s) => s.poolWait),
      count: at((s) => s.count),
      errors: at((s) => s.errors),
      cacheHits: at((s) => s.cacheHits),
      cacheMisses: at((s) => s.cacheMisses),
    };
  }
  const first = parts[0];
  return { originMs: first?.originMs ?? 0, intervalMs: first?.intervalMs ?? 1000, ops };
}
