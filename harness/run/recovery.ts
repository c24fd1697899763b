/**
 * How long until the system is back to normal after a fault, measured from
 * the fault (the action's start), wherever the recovery happens:
 * - an op's band is what its baseline showed: its per-second p95 stayed within
 *   [lowest, highest] of the baseline's seconds (and its error rate at or below
 *   the baseline's worst second), so the band is as wide as the baseline's own
 *   variation, not a fixed tolerance;
 * - the op left its band when its p95 was above it two seconds running, or one
 *   second by more than the band's width (one noisy second is not a fault:
 *   each later second has about a 1-in-(n+1) chance to top n baseline ones), or
 *   when it failed more than the baseline did;
 * - it recovered at the first second after its last excursion from which it
 *   stayed within the band for `stableForS` seconds; "not recovered" when the
 *   run ended first. An op that never left its band has no recovery time.
 * For cache faults the same is measured on the hit ratio (refill): Redis' own,
 * or the op's where rehearse's cache client counted it.
 * Pure: a function of report.json's per-second series and timeline.
 */
import type { ActionRecord, RecoveryRecord, RefillRecord, RunReport, TimelineSample } from "../../reports/schema.ts";

export interface RecoveryInput {
  phases: RunReport["phases"];
  baseline: string;
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

interface Band {
  lower: number;
  upper: number;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Indices of the per-second series whose second lies inside [fromMs, toMs) on the report's clock. */
function secondsIn(perSecond: RunReport["perSecond"], fromMs: number, toMs: number, length: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    const start = perSecond.originMs + i * perSecond.intervalMs;
    if (start >= fromMs && start + perSecond.intervalMs <= toMs) out.push(i);
  }
  return out;
}

function bandOf(values: number[]): Band | undefined {
  if (values.length === 0) return undefined;
  return { lower: Math.min(...values), upper: Math.max(...values) };
}

/** Where the value stands against the band, in the direction that hurts (latency up, hit ratio down). */
type Side = "in" | "out" | "far";

function sideOf(value: number, band: Band, worseIsHigher: boolean): Side {
  const width = band.upper - band.lower;
  if (worseIsHigher) return value <= band.upper ? "in" : value > band.upper + width ? "far" : "out";
  return value >= band.lower ? "in" : value < band.lower - width ? "far" : "out";
}

interface Timed {
  /** The second's start on the report's clock. */
  atMs: number;
  side: Side;
  value: number;
}

/** Left (two out in a row, or one far out), and when it came back to stay; undefined seconds are skipped. */
function judge(seconds: Timed[], stableForS: number) {
  let left = false;
  let lastExcursion = -1;
  for (let i = 0; i < seconds.length; i++) {
    const s = seconds[i] as Timed;
    const next = seconds[i + 1];
    const excursion = s.side === "far" || (s.side === "out" && next?.side !== "in" && next !== undefined);
    if (excursion) {
      left = true;
      lastExcursion = i;
    }
  }
  if (!left) return { left: false as const };
  // Back at the first second after the last excursion from which it stays in the band for stableForS seconds.
  for (let i = lastExcursion + 1; i + stableForS <= seconds.length; i++) {
    if (seconds.slice(i, i + stableForS).every((s) => s.side === "in")) {
      return { left: true as const, recoveredAtMs: (seconds[i] as Timed).atMs };
    }
  }
  return { left: true as const, recoveredAtMs: null };
}

function peakOf(seconds: Timed[], worseIsHigher: boolean): Timed | undefined {
  return seconds.reduce<Timed | undefined>(
    (best, s) => (!best || (worseIsHigher ? s.value > best.value : s.value < best.value) ? s : best),
    undefined,
  );
}

/** Until the next action that begins after this one ended (a later fault is its own), or the run's end. */
function windowEnd(actions: ActionRecord[], a: ActionRecord, runEndMs: number): number {
  const later = actions.filter((b) => b.startMs > a.endMs).map((b) => b.startMs);
  return Math.min(runEndMs, ...later);
}

export function computeRecoveries(input: RecoveryInput): { recoveries: RecoveryRecord[]; refills: RefillRecord[] } {
  const base = input.phases.find((p) => p.name === input.baseline);
  const runEndMs = Math.max(0, ...input.phases.map((p) => p.endMs));
  const recoveries: RecoveryRecord[] = [];
  const refills: RefillRecord[] = [];
  if (!base) return { recoveries, refills };
  const { perSecond } = input;
  input.actions.forEach((a, actionIndex) => {
    const untilMs = windowEnd(input.actions, a, runEndMs);
    for (const [op, s] of Object.entries(perSecond.ops)) {
      const baseIdx = secondsIn(perSecond, base.startMs, base.endMs, s.p95Ms.length);
      const p95Band = bandOf(baseIdx.flatMap((i) => (s.p95Ms[i] === null ? [] : [s.p95Ms[i] as number])));
      if (!p95Band) continue;
      const rate = (i: number) => ((s.count[i] ?? 0) > 0 ? (s.errors[i] ?? 0) / (s.count[i] as number) : 0);
      const errorUpper = Math.max(0, ...baseIdx.map(rate));
      const after = secondsIn(perSecond, Math.floor(a.startMs / 1000) * 1000, untilMs, s.p95Ms.length).filter(
        (i) => (s.count[i] ?? 0) > 0 && s.p95Ms[i] !== null,
      );
      const seconds: Timed[] = after.map((i) => {
        const latency = sideOf(s.p95Ms[i] as number, p95Band, true);
        const failing = rate(i) > errorUpper;
        // Failing more than the baseline ever did is out of band at once: errors are not noise.
        return {
          atMs: perSecond.originMs + i * perSecond.intervalMs,
          side: failing ? "far" : latency,
          value: s.p95Ms[i] as number,
        };
      });
      const verdict = judge(seconds, input.stableForS);
      const peak = peakOf(seconds, true);
      recoveries.push({
        action: a.name,
        actionIndex,
        op,
        fromMs: a.startMs,
        band: { lowerP95Ms: p95Band.lower, upperP95Ms: p95Band.upper, errorRate: round(errorUpper) },
        state: !verdict.left ? "unaffected" : verdict.recoveredAtMs === null ? "not-recovered" : "recovered",
        peakP95Ms: peak?.value ?? null,
        peakAtMs: peak?.atMs ?? null,
        recoveredAtMs: verdict.left ? verdict.recoveredAtMs : null,
        recoveryMs:
          verdict.left && verdict.recoveredAtMs !== null ? Math.max(0, verdict.recoveredAtMs - a.startMs) : null,
      });
    }
    if (isCacheFault(a)) refills.push(...refillsOf(input, a, actionIndex, base, untilMs));
  });
  return { recoveries, refills };
}

/** Redis' own hit ratio, one value per sampler second (its counters are totals): [tMs of the second's start, ratio]. */
function redisRatios(timeline: TimelineSample[]): { atMs: number; value: number }[] {
  const out: { atMs: number; value: number }[] = [];
  for (let i = 1; i < timeline.length; i++) {
    const prev = timeline[i - 1]?.redis;
    const now = timeline[i]?.redis;
    if (!prev || !now) continue;
    const hits = now.keyspaceHits - prev.keyspaceHits;
    const misses = now.keyspaceMisses - prev.keyspaceMisses;
    if (hits < 0 || misses < 0 || hits + misses === 0) continue; // a restart reset the totals, or no lookups
    out.push({ atMs: (timeline[i - 1] as TimelineSample).tMs, value: hits / (hits + misses) });
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
  const sources: { source: string; ratios: { atMs: number; value: number }[] }[] = [];
  const redis = redisRatios(input.timeline);
  if (redis.length > 0) sources.push({ source: "redis", ratios: redis });
  for (const [op, s] of Object.entries(input.perSecond.ops)) {
    const hits = s.cacheHits;
    const misses = s.cacheMisses;
    if (!hits || !misses || hits.every((h, i) => h + (misses[i] ?? 0) === 0)) continue;
    sources.push({
      source: op,
      ratios: hits.flatMap((h, i) => {
        const total = h + (misses[i] ?? 0);
        return total > 0 ? [{ atMs: input.perSecond.originMs + i * input.perSecond.intervalMs, value: h / total }] : [];
      }),
    });
  }
  return sources.flatMap(({ source, ratios }) => {
    const band = bandOf(
      ratios.filter((r) => r.atMs >= base.startMs && r.atMs + 1000 <= base.endMs).map((r) => r.value),
    );
    if (!band) return [];
    const seconds = ratios
      .filter((r) => r.atMs >= Math.floor(a.startMs / 1000) * 1000 && r.atMs < untilMs)
      .map((r) => ({ atMs: r.atMs, side: sideOf(r.value, band, false), value: r.value }));
    const verdict = judge(seconds, input.stableForS);
    const low = peakOf(seconds, false);
    return [
      {
        action: a.name,
        actionIndex,
        source,
        fromMs: a.startMs,
        band: { lowerRatio: round(band.lower), upperRatio: round(band.upper) },
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
