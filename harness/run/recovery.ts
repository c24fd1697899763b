/**
 * How long until the system is back to normal after a fault, measured from the fault (the action's start),
 * wherever the recovery happens, against what its own baseline makes likely:
 * - each second after the fault gets a p-value under the baseline's distribution: for latency, the chance
 *   that m samples drawn from the baseline have a p95 at least this slow (order statistics on the binomial,
 *   from the baseline histogram's own table); for errors, the chance of that many failures at the baseline's
 *   error rate; for the cache, of that few hits at its hit ratio. The least likely of them counts. Seconds
 *   are not independent draws (a GC pause or autovacuum slows all of one second), so a p95 no slower than the
 *   baseline's slowest second, or a hit ratio no lower than its lowest, is in band whatever its p-value — unless it
 *   and a neighbour are both beyond the baseline's worst two-second stretch (a stall of one second does not last
 *   two): such a pair is judged on its p-values;
 * - a second is out of band when its p-value is ≤ ALPHA, or when it and a neighbour together are (Fisher's
 *   method: a moderate shift that lasts, which no single thin second can show);
 * - the fault's excursion runs from its first out-of-band second through any later ones fewer than
 *   `stableForS` in-band seconds apart (or while the action still runs); an op that stayed in band for
 *   `stableForS` past the action's end before it left was not left by this fault. It recovered at the first
 *   in-band second after the excursion, if the run went on `stableForS` seconds more ("not recovered"
 *   otherwise); an op that never left its band has no recovery time.
 * The band scales with the samples a second holds, so a noisy op at 10/s is not called slow for one unlucky
 * request, and a steady op at 500/s is for a few ms. `upperP95Ms` in the report is the band at the baseline's
 * usual count a second. Pure: a function of report.json's baseline histograms, per-second series and timeline.
 */

import { binomialLowerTail, binomialUpperTail } from "../../core/stats.ts";
import {
  type ActionRecord,
  attemptsOf,
  failedOf,
  type OpReport,
  type RecoveryRecord,
  type RefillRecord,
  type RunReport,
  type TimelineSample,
} from "../../reports/schema.ts";
import { decodeHistogram, fractionAboveMs, type Histogram } from "../metrics/histogram.ts";

/** The chance that a second of a healthy op is called out of band: over a minute's seconds, ~6%. */
export const ALPHA = 0.001;

export interface RecoveryInput {
  phases: RunReport["phases"];
  baseline: string;
  ops: OpReport[];
  actions: ActionRecord[];
  perSecond: RunReport["perSecond"];
  timeline: TimelineSample[];
  stableForS: number;
}

/** A fault that empties or starves the cache: its refill is timed too. */
export function isCacheFault(a: ActionRecord): boolean {
  if (a.name === "flush-cache" || a.name === "maxmemory") return true;
  return (a.name === "restart" || a.name === "kill" || a.name === "freeze") && a.result.service === "redis";
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** A decoded histogram's distribution as (value ms, samples at or below it) steps, from HdrHistogram's own table. */
export interface Distribution {
  total: number;
  steps: { valueMs: number; atOrBelow: number }[];
}

export function distributionOf(histogram: Histogram): Distribution {
  const steps: Distribution["steps"] = [];
  for (const line of histogram.outputPercentileDistribution(20, 1000).split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 3 || !/^[\d.]+$/.test(cols[0] ?? "") || !/^\d+$/.test(cols[2] ?? "")) continue;
    steps.push({ valueMs: Number(cols[0]), atOrBelow: Number(cols[2]) });
  }
  return { total: histogram.totalCount, steps };
}

/** The baseline's share of samples slower than `ms` (never 0: one sample's worth at least, it is an estimate). */
function shareAbove(d: Distribution, ms: number): number {
  let below = 0;
  for (const step of d.steps) {
    if (step.valueMs > ms) break;
    below = step.atOrBelow;
  }
  return Math.max(1 / (d.total + 1), (d.total - below) / (d.total + 1));
}

/** P(a second of m baseline samples has a p95 at least this slow): order statistics on the binomial. */
export function p95PValue(d: Distribution, m: number, p95Ms: number): number {
  const allowed = m - Math.ceil(0.95 * m); // samples that may lie above the p95
  return binomialUpperTail(m, shareAbove(d, p95Ms * 0.999), allowed + 1);
}

/** The p95 at which a second of m samples reaches ALPHA (for the report: the band at the usual count). */
function upperAt(d: Distribution, m: number): number {
  const candidates = d.steps.map((s) => s.valueMs);
  const max = candidates.at(-1) ?? 0;
  for (const v of candidates) if (p95PValue(d, m, v) <= ALPHA) return v;
  // Beyond what the baseline's samples can tell: its slowest plus its spread again.
  const median = d.steps.find((s) => s.atOrBelow >= d.total / 2)?.valueMs ?? max;
  return max + (max - median);
}

interface Second {
  atMs: number;
  /** How likely the second is under the baseline: its p-value (latency, errors, hit ratio: the least likely);
   * 1 when the second was within what the baseline's own seconds showed. */
  pValue: number;
  /** The p-value before that exemption, and whether the second was beyond the baseline's worst two-second
   * stretch (a pair of such seconds is judged on these: a stall of one second does not last two). */
  rawPValue: number;
  beyondStretch: boolean;
  value: number;
  out?: boolean;
}

/**
 * A second is out of band when it alone is unlikely (≤ ALPHA), or it and a neighbour together are (Fisher's
 * combination of their two p-values ≤ ALPHA: a sustained moderate shift, which one second cannot show).
 */
export function pairPValue(a: number, b: number): number {
  if (a >= 1 || b >= 1) return 1; // a second within what the baseline's own seconds showed adds no evidence
  const product = a * b;
  return product * (1 - Math.log(product)); // P(χ²₄ ≥ −2 ln(a·b))
}

function markOut(seconds: Second[]): Second[] {
  return seconds.map((s, i) => {
    const withNeighbour = (j: number) => {
      const n = seconds[j];
      if (!n) return false;
      const stretch = s.beyondStretch && n.beyondStretch;
      return pairPValue(stretch ? s.rawPValue : s.pValue, stretch ? n.rawPValue : n.pValue) <= ALPHA;
    };
    return { ...s, out: s.pValue <= ALPHA || withNeighbour(i - 1) || withNeighbour(i + 1) };
  });
}

/**
 * The fault's excursion: from its first out-of-band second, through out-of-band seconds no more than
 * stableForS in-band seconds apart (or while the action itself still ran); one that begins, or a later one
 * that follows, after the op stayed in band that long past the action's end is another event, not this
 * fault's. Recovered at the first in-band second after it, if the run went on for stableForS seconds after that.
 */
function judge(raw: Second[], stableForS: number, untilMs: number, actionEndMs: number) {
  const seconds = markOut(raw);
  let last = -1;
  let inBandSinceMs = actionEndMs;
  for (let i = 0; i < seconds.length; i++) {
    const s = seconds[i] as Second;
    if (!s.out) continue;
    if (s.atMs > actionEndMs && s.atMs - inBandSinceMs >= stableForS * 1000) break;
    last = i;
    inBandSinceMs = s.atMs + 1000;
  }
  if (last < 0) return { left: false as const };
  const back = seconds.slice(last + 1).find((s) => !s.out);
  const stayed = back !== undefined && untilMs - back.atMs >= stableForS * 1000;
  return { left: true as const, recoveredAtMs: stayed ? back.atMs : null };
}

/** The seconds the peak is looked for in: up to the recovery when there was one (a later blip is not the fault's). */
function excursion(seconds: Second[], verdict: ReturnType<typeof judge>): Second[] {
  const until = verdict.left ? verdict.recoveredAtMs : null;
  return until === null ? seconds : seconds.filter((s) => s.atMs < until);
}

function peakOf(seconds: Second[], worseIsHigher: boolean): Second | undefined {
  return seconds.reduce<Second | undefined>(
    (best, s) => (!best || (worseIsHigher ? s.value > best.value : s.value < best.value) ? s : best),
    undefined,
  );
}

/** Until the next action that begins after this one ended (a later fault is its own), or the run's end. */
function windowEnd(actions: ActionRecord[], a: ActionRecord, runEndMs: number): number {
  const later = actions.filter((b) => b.startMs > a.endMs).map((b) => b.startMs);
  return Math.min(runEndMs, ...later);
}

/**
 * P(at least k of a second's m requests are slower than every one of the baseline's n): under the baseline
 * (all n + m exchangeable) the k slowest of them all are the second's with chance C(m, k) / C(n + m, k),
 * whatever the distribution. A thin baseline cannot say how rare a value beyond its slowest is (its p95
 * p-value bottoms out near (1/n)^(m/20)); this says how rare many of them are.
 */
export function beyondAllPValue(n: number, m: number, k: number): number {
  if (k <= 0) return 1;
  let log = 0;
  for (let i = 0; i < k; i++) log += Math.log((m - i) / (n + m - i));
  return Math.exp(log);
}

/** Each op's seconds as histograms on the report's clock, where report.json keeps them (after the baseline). */
function secondHistograms(ops: OpReport[], op: string, loadStartMs: number): Map<number, string[]> {
  const byAt = new Map<number, string[]>();
  for (const o of ops.filter((x) => x.op === op && x.seconds)) {
    const rec = o.seconds as NonNullable<OpReport["seconds"]>;
    rec.latency.forEach((encoded, j) => {
      if (!encoded || (rec.count[j] ?? 0) === 0) return;
      const at = loadStartMs + (rec.fromS + j) * 1000;
      byAt.set(at, [...(byAt.get(at) ?? []), encoded]);
    });
  }
  return byAt;
}

/** The worst two-second stretch of a series: the largest (or smallest) of each adjacent pair's better second. */
function worstStretch(values: number[], worseIsHigher: boolean): number | undefined {
  let worst: number | undefined;
  for (let i = 1; i < values.length; i++) {
    const a = values[i - 1] as number;
    const b = values[i] as number;
    const better = worseIsHigher ? Math.min(a, b) : Math.max(a, b);
    if (worst === undefined || (worseIsHigher ? better > worst : better < worst)) worst = better;
  }
  return worst;
}

const typical = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0;

export function computeRecoveries(input: RecoveryInput): { recoveries: RecoveryRecord[]; refills: RefillRecord[] } {
  const base = input.phases.find((p) => p.name === input.baseline);
  const runEndMs = Math.max(0, ...input.phases.map((p) => p.endMs));
  const recoveries: RecoveryRecord[] = [];
  const refills: RefillRecord[] = [];
  if (!base) return { recoveries, refills };
  const { perSecond } = input;
  const secondAt = (i: number) => perSecond.originMs + i * perSecond.intervalMs;
  for (const [op, s] of Object.entries(perSecond.ops)) {
    const baseOp = input.ops.find((o) => o.op === op && o.phase === input.baseline);
    if (!baseOp || baseOp.count === 0 || !baseOp.histograms.latency) continue;
    const baseHistogram = decodeHistogram(baseOp.histograms.latency);
    const distribution = distributionOf(baseHistogram);
    const errorRate = (failedOf(baseOp) + 0.5) / (attemptsOf(baseOp) + 1);
    const inBaseline = (i: number) => secondAt(i) >= base.startMs && secondAt(i) + 1000 <= base.endMs;
    const m = Math.max(1, typical(s.count.filter((_, i) => inBaseline(i))));
    // The slowest second the baseline itself had: stalls it already showed (a GC pause, autovacuum) are its own.
    const baselineP95s = s.p95Ms.flatMap((p95, i) => (p95 !== null && inBaseline(i) ? [p95] : []));
    const slowestSecond = Math.max(0, ...baselineP95s);
    // Two seconds in a row slower than any two the baseline had are not one stall: judged on their p-values.
    const slowestStretch = worstStretch(baselineP95s, true) ?? slowestSecond;
    const baseMaxMs = baseHistogram.maxValue / 1000;
    const histograms = secondHistograms(input.ops, op, input.phases[0]?.startMs ?? perSecond.originMs);
    /** How many of the second's requests were slower than the baseline's slowest: from its histogram, if kept. */
    const beyondAll = (at: number, count: number): number | null => {
      const encoded = histograms.get(at);
      if (encoded?.length !== 1) return null; // none kept, or several phases in one second
      const h = decodeHistogram(encoded[0] as string);
      const k = Math.round(fractionAboveMs(h, baseMaxMs) * h.totalCount);
      return beyondAllPValue(baseHistogram.totalCount, Math.max(count, h.totalCount), k);
    };
    input.actions.forEach((a, actionIndex) => {
      const untilMs = windowEnd(input.actions, a, runEndMs);
      const seconds: Second[] = [];
      for (let i = 0; i < s.p95Ms.length; i++) {
        const at = secondAt(i);
        const count = s.count[i] ?? 0;
        const p95 = s.p95Ms[i];
        if (at + perSecond.intervalMs <= a.startMs || at >= untilMs || count === 0 || p95 === null || p95 === undefined)
          continue;
        const errors = s.errors[i] ?? 0;
        const failing = errors > 0 ? binomialUpperTail(count, errorRate, errors) : 1;
        // Where the second's own histogram is kept, two tests of it (its p95; how many of it were beyond the
        // baseline's slowest), Bonferroni-corrected; else its p95 alone.
        const byP95 = p95PValue(distribution, count, p95);
        const beyond = p95 > slowestStretch ? beyondAll(at, count) : null;
        const slow = beyond === null ? byP95 : Math.min(1, 2 * Math.min(byP95, beyond));
        seconds.push({
          atMs: at,
          pValue: Math.min(failing, p95 > slowestSecond ? slow : 1),
          rawPValue: Math.min(failing, slow),
          beyondStretch: p95 > slowestStretch,
          value: p95,
        });
      }
      const verdict = judge(seconds, input.stableForS, untilMs, a.endMs);
      const peak = peakOf(excursion(seconds, verdict), true);
      recoveries.push({
        action: a.name,
        actionIndex,
        op,
        fromMs: a.startMs,
        band: {
          baselineP95Ms: round(baseOp.latencyMs.p95),
          upperP95Ms: round(Math.max(slowestSecond, upperAt(distribution, m))),
          perSecond: m,
          errorRate: round(errorRate),
        },
        state: !verdict.left ? "unaffected" : verdict.recoveredAtMs === null ? "not-recovered" : "recovered",
        peakP95Ms: peak?.value ?? null,
        peakAtMs: peak?.atMs ?? null,
        recoveredAtMs: verdict.left ? verdict.recoveredAtMs : null,
        recoveryMs:
          verdict.left && verdict.recoveredAtMs !== null ? Math.max(0, verdict.recoveredAtMs - a.startMs) : null,
      });
    });
  }
  input.actions.forEach((a, actionIndex) => {
    if (isCacheFault(a)) refills.push(...refillsOf(input, a, actionIndex, base, windowEnd(input.actions, a, runEndMs)));
  });
  return { recoveries, refills };
}

interface Lookups {
  atMs: number;
  hits: number;
  lookups: number;
}

/** Redis' own lookups per sampler second (its counters are totals), from the second's start. */
function redisLookups(timeline: TimelineSample[]): Lookups[] {
  const out: Lookups[] = [];
  for (let i = 1; i < timeline.length; i++) {
    const prev = timeline[i - 1]?.redis;
    const now = timeline[i]?.redis;
    if (!prev || !now) continue;
    const hits = now.keyspaceHits - prev.keyspaceHits;
    const misses = now.keyspaceMisses - prev.keyspaceMisses;
    if (hits < 0 || misses < 0 || hits + misses === 0) continue; // a restart reset the totals, or no lookups
    out.push({ atMs: (timeline[i - 1] as TimelineSample).tMs, hits, lookups: hits + misses });
  }
  return out;
}

function refillsOf(
  input: RecoveryInput,
  a: ActionRecord,
  actionIndex: number,
  base: { startMs: number; endMs: number },
  untilMs: number,
): RefillRecord[] {
  const sources: { source: string; seconds: Lookups[] }[] = [];
  const redis = redisLookups(input.timeline);
  if (redis.length > 0) sources.push({ source: "redis", seconds: redis });
  for (const [op, s] of Object.entries(input.perSecond.ops)) {
    const hits = s.cacheHits;
    const misses = s.cacheMisses;
    if (!hits || !misses) continue;
    const seconds = hits.flatMap((h, i) => {
      const lookups = h + (misses[i] ?? 0);
      return lookups > 0 ? [{ atMs: input.perSecond.originMs + i * input.perSecond.intervalMs, hits: h, lookups }] : [];
    });
    if (seconds.length > 0) sources.push({ source: op, seconds });
  }
  return sources.flatMap(({ source, seconds }) => {
    const baseline = seconds.filter((r) => r.atMs >= base.startMs && r.atMs + 1000 <= base.endMs);
    const lookups = baseline.reduce((n, r) => n + r.lookups, 0);
    if (lookups === 0) return [];
    const ratio = baseline.reduce((n, r) => n + r.hits, 0) / lookups;
    const ratios = baseline.map((r) => r.hits / r.lookups);
    const lowestSecond = Math.min(...ratios);
    const lowestStretch = worstStretch(ratios, false) ?? lowestSecond;
    const after: Second[] = seconds
      .filter((r) => r.atMs + 1000 > a.startMs && r.atMs < untilMs)
      .map((r) => {
        const value = r.hits / r.lookups;
        const p = binomialLowerTail(r.lookups, ratio, r.hits);
        return {
          atMs: r.atMs,
          pValue: value < lowestSecond ? p : 1,
          rawPValue: p,
          beyondStretch: value < lowestStretch,
          value,
        };
      });
    const verdict = judge(after, input.stableForS, untilMs, a.endMs);
    const low = peakOf(excursion(after, verdict), false);
    return [
      {
        action: a.name,
        actionIndex,
        source,
        fromMs: a.startMs,
        band: { baselineRatio: round(ratio), lookupsPerSecond: Math.round(lookups / Math.max(1, baseline.length)) },
        state: !verdict.left ? "unaffected" : verdict.recoveredAtMs === null ? "not-refilled" : "refilled",
        lowestRatio: low ? round(low.value) : null,
        lowestAtMs: low?.atMs ?? null,
        refilledAtMs: verdict.left ? verdict.recoveredAtMs : null,
        refillMs:
          verdict.left && verdict.recoveredAtMs !== null ? Math.max(0, verdict.recoveredAtMs - a.startMs) : null,
      },
    ];
  });
}
