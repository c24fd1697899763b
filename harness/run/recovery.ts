/**
 * How long until the system is back to normal after a fault, measured from
 * the fault (the action's start), wherever the recovery happens, against the
 * band its own baseline allows:
 * - a second is out of band when what it measured is unlikely under the
 *   baseline's own distribution: its p95 of m completions lies above the
 *   baseline quantile that m samples of it would exceed with probability below
 *   ALPHA (order statistics on the binomial: a second of 10 requests must top
 *   the baseline's ~p99.99, one of 200 its ~p97; a quantile beyond what the
 *   baseline's samples can tell is their slowest plus their spread again), or
 *   it failed more often than
 *   the baseline's error rate makes likely, or (for the cache) it hit less
 *   often than the baseline's hit ratio makes likely;
 * - an op left its band when one second after the fault was out of band;
 * - it recovered at the first second after its last excursion that is in band,
 *   when the run goes on for `stableForS` seconds after it ("not recovered"
 *   otherwise); an op that never left its band has no recovery time.
 * The band scales with the samples a second holds, so a noisy op at 10/s is not
 * called slow for one unlucky request, and a steady op at 500/s is for a few ms.
 * Pure: a function of report.json's baseline histograms, per-second series and timeline.
 */
import type {
  ActionRecord,
  OpReport,
  RecoveryRecord,
  RefillRecord,
  RunReport,
  TimelineSample,
} from "../../reports/schema.ts";
import { decodeHistogram, type Histogram } from "../metrics/histogram.ts";

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

/** ln C(n, k). */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log((n - k + i) / i);
  return s;
}

/** P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialUpperTail(n: number, p: number, k: number): number {
  if (k <= 0) return 1;
  if (k > n || p <= 0) return 0;
  if (p >= 1) return 1;
  let total = 0;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  let term = Math.exp(logChoose(n, k) + k * lp + (n - k) * lq);
  for (let j = k; j <= n; j++) {
    total += term;
    if (term < total * 1e-12) break;
    term *= ((n - j) / (j + 1)) * (p / (1 - p));
  }
  return Math.min(1, total);
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialLowerTail(n: number, p: number, k: number): number {
  return 1 - binomialUpperTail(n, p, k + 1);
}

/** The largest share p above which the p95 of m samples lands with probability ≤ ALPHA: bisection on p. */
function tailShare(m: number): number {
  const allowed = m - Math.ceil(0.95 * m); // samples that may lie above the p95
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (binomialUpperTail(m, mid, allowed + 1) <= ALPHA) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * The baseline latency a second of m completions may reach at its p95 and still be in band (ms). When that
 * quantile lies beyond what the baseline's samples can tell (its share below one sample in n), the band is
 * the baseline's slowest plus its spread again (max + (max − median)): a thin second's slowest request is no
 * evidence against a baseline that never saw that far.
 */
function upperFor(baseline: Histogram, cache: Map<number, number>, m: number): number {
  let v = cache.get(m);
  if (v === undefined) {
    const p = tailShare(m);
    if (p * baseline.totalCount >= 1)
      v = baseline.getValueAtPercentile(Math.max(0, Math.min(100, 100 * (1 - p)))) / 1000;
    else {
      const max = baseline.maxValue / 1000;
      v = max + (max - baseline.getValueAtPercentile(50) / 1000);
    }
    cache.set(m, v);
  }
  return v;
}

interface Second {
  atMs: number;
  out: boolean;
  value: number;
}

/** Left (a second out of band), and the first in-band second after the last excursion, if the run went on. */
function judge(seconds: Second[], stableForS: number, untilMs: number) {
  let last = -1;
  seconds.forEach((s, i) => {
    if (s.out) last = i;
  });
  if (last < 0) return { left: false as const };
  const back = seconds.slice(last + 1).find((s) => !s.out);
  const stayed = back !== undefined && untilMs - back.atMs >= stableForS * 1000;
  return { left: true as const, recoveredAtMs: stayed ? back.atMs : null };
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
    const histogram = decodeHistogram(baseOp.histograms.latency);
    const uppers = new Map<number, number>();
    const attempts = baseOp.count + baseOp.interrupted;
    const errorRate = (baseOp.errors + baseOp.interrupted + 0.5) / (attempts + 1);
    const baseCounts = s.count.filter((_, i) => secondAt(i) >= base.startMs && secondAt(i) + 1000 <= base.endMs);
    const m = Math.max(1, typical(baseCounts));
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
        const failing = errors > 0 && binomialUpperTail(count, errorRate, errors) <= ALPHA;
        seconds.push({ atMs: at, out: failing || p95 > upperFor(histogram, uppers, count), value: p95 });
      }
      const verdict = judge(seconds, input.stableForS, untilMs);
      const peak = peakOf(seconds, true);
      recoveries.push({
        action: a.name,
        actionIndex,
        op,
        fromMs: a.startMs,
        band: {
          baselineP95Ms: round(histogram.getValueAtPercentile(95) / 1000),
          upperP95Ms: round(upperFor(histogram, uppers, m)),
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
    const after: Second[] = seconds
      .filter((r) => r.atMs + 1000 > a.startMs && r.atMs < untilMs)
      .map((r) => ({
        atMs: r.atMs,
        out: binomialLowerTail(r.lookups, ratio, r.hits) <= ALPHA,
        value: r.hits / r.lookups,
      }));
    const verdict = judge(after, input.stableForS, untilMs);
    const low = peakOf(after, false);
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
