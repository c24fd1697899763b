/**
 * Deltas of every phase after the baseline against it, per op: what users felt
 * (p95/p99 latency, pool wait, errors, cache hits), what PgBouncer saw (peak
 * cl_waiting and maxwait in the phase), and recovery time: from the end of
 * the phase until the per-second p95 is back within tolerance of the
 * baseline p95 and stays there for `stableForS` seconds (null: it did not).
 * A pure function of the report's pieces (the engine computes them; report.json carries them).
 */
import type { Delta, OpReport, TimelineSample } from "../../reports/schema.ts";

export interface Phase {
  name: string;
  startMs: number;
  endMs: number;
}

export interface RecoveryRule {
  /** Recovered means p95 ≤ baseline p95 × (1 + tolerance) + floorMs. */
  tolerance: number;
  /** Absolute slack so a 1 ms baseline does not demand 1.2 ms. */
  floorMs: number;
  stableForS: number;
}

export const DEFAULT_RECOVERY: RecoveryRule = { tolerance: 0.2, floorMs: 5, stableForS: 5 };

const round = (n: number) => Math.round(n * 1000) / 1000;
const errorRate = (o: OpReport) => (o.count === 0 ? 0 : o.errors / o.count);
const hitRatio = (o: OpReport) => {
  const lookups = o.cacheHits + o.cacheMisses;
  return lookups === 0 ? null : o.cacheHits / lookups;
};

/** First whole second (from `fromS`) where p95 stays within the bound for stableForS seconds. */
export function recoverySeconds(
  perSecondP95: readonly (number | null)[],
  fromS: number,
  boundMs: number,
  stableForS: number,
): number | null {
  let streak = 0;
  let streakStart = fromS;
  for (let s = fromS; s < perSecondP95.length; s++) {
    const p95 = perSecondP95[s];
    if (p95 === null || p95 === undefined) continue; // a second without completions proves nothing
    if (p95 > boundMs) {
      streak = 0;
      continue;
    }
    if (streak === 0) streakStart = s;
    streak++;
    if (streak >= stableForS) return streakStart - fromS;
  }
  return null;
}

/** PgBouncer's clients' mean wait for a server connection per transaction over the phase: the
 * difference of its totals between the last samples before the phase began and before it ended.
 * null: no samples to tell (or PgBouncer restarted in between, resetting its totals). */
export function serverPoolWait(timeline: TimelineSample[], phase: Phase): number | null {
  const wait = growth(timeline, phase, (t) => t.pgbouncer?.totalWaitTimeUs);
  const xacts = growth(timeline, phase, (t) => t.pgbouncer?.totalXactCount);
  if (wait === null || xacts === null) return null;
  return xacts === 0 ? 0 : round(wait / 1000 / xacts);
}

/** Redis' own hit ratio over the phase (INFO keyspace_hits / misses): the app's cache, which rehearse's
 * client cannot count. null: no lookups, or no samples to tell. */
export function serverCacheHitRatio(timeline: TimelineSample[], phase: Phase): number | null {
  const hits = growth(timeline, phase, (t) => t.redis?.keyspaceHits);
  const misses = growth(timeline, phase, (t) => t.redis?.keyspaceMisses);
  if (hits === null || misses === null || hits + misses === 0) return null;
  return round(hits / (hits + misses));
}

/** How much a server's running total grew over the phase: between the last samples before it began and
 * before it ended. null when that cannot be told (no samples, or the total was reset by a restart). */
function growth(
  timeline: TimelineSample[],
  phase: Phase,
  total: (t: TimelineSample) => number | undefined,
): number | null {
  const known = timeline.filter((t) => total(t) !== undefined);
  const from = known.filter((t) => t.tMs <= phase.startMs).at(-1) ?? known[0];
  const to = known.filter((t) => t.tMs <= phase.endMs + 500).at(-1);
  if (!from || !to || to.tMs <= from.tMs) return null;
  const grown = (total(to) as number) - (total(from) as number);
  return grown < 0 ? null : grown;
}

export function computeDeltas(input: {
  phases: Phase[];
  baseline: string;
  ops: OpReport[];
  timeline: TimelineSample[];
  perSecondP95: Map<string, (number | null)[]>;
  /** ms between the per-second series' origin and the phases' origin. */
  perSecondOriginMs: number;
  rule?: RecoveryRule;
}): Delta[] {
  const rule = input.rule ?? DEFAULT_RECOVERY;
  const deltas: Delta[] = [];
  // Phases before the baseline are warm-up: compared with nothing.
  const after = input.phases.slice(input.phases.findIndex((p) => p.name === input.baseline) + 1);
  const basePhase = input.phases.find((p) => p.name === input.baseline);
  const baseServerWait = basePhase ? serverPoolWait(input.timeline, basePhase) : null;
  const baseServerHits = basePhase ? serverCacheHitRatio(input.timeline, basePhase) : null;
  for (const phase of after) {
    const window = input.timeline.filter((t) => t.tMs >= phase.startMs && t.tMs < phase.endMs + 1000);
    const serverWait = serverPoolWait(input.timeline, phase);
    const serverHits = serverCacheHitRatio(input.timeline, phase);
    const peakClWaiting = Math.max(0, ...window.map((t) => t.pgbouncer?.clWaiting ?? 0));
    const peakMaxWaitMs = Math.max(0, ...window.map((t) => t.pgbouncer?.maxWaitMs ?? 0));
    for (const op of input.ops.filter((o) => o.phase === phase.name)) {
      const base = input.ops.find((o) => o.phase === input.baseline && o.op === op.op);
      if (!base) continue;
      const bound = base.latencyMs.p95 * (1 + rule.tolerance) + rule.floorMs;
      const fromS = Math.ceil((phase.endMs - input.perSecondOriginMs) / 1000);
      const seconds = recoverySeconds(input.perSecondP95.get(op.op) ?? [], fromS, bound, rule.stableForS);
      const ratio = hitRatio(op);
      const baseRatio = hitRatio(base);
      deltas.push({
        phase: phase.name,
        op: op.op,
        p95Ms: op.latencyMs.p95,
        baselineP95Ms: base.latencyMs.p95,
        deltaP95Ms: round(op.latencyMs.p95 - base.latencyMs.p95),
        p99Ms: op.latencyMs.p99,
        baselineP99Ms: base.latencyMs.p99,
        deltaP99Ms: round(op.latencyMs.p99 - base.latencyMs.p99),
        poolWaitP95Ms: op.poolWaitMs.p95,
        baselinePoolWaitP95Ms: base.poolWaitMs.p95,
        deltaPoolWaitP95Ms: round(op.poolWaitMs.p95 - base.poolWaitMs.p95),
        errorRate: round(errorRate(op)),
        deltaErrorRate: round(errorRate(op) - errorRate(base)),
        cacheHitRatio: ratio === null ? null : round(ratio),
        deltaCacheHitRatio: ratio === null || baseRatio === null ? null : round(ratio - baseRatio),
        peakClWaiting,
        peakMaxWaitMs: round(peakMaxWaitMs),
        recoveryMs: seconds === null ? null : seconds * 1000,
        serverPoolWaitMs: serverWait,
        baselineServerPoolWaitMs: baseServerWait,
        deltaServerPoolWaitMs:
          serverWait === null || baseServerWait === null ? null : round(serverWait - baseServerWait),
        serverCacheHitRatio: serverHits,
        baselineServerCacheHitRatio: baseServerHits,
        deltaServerCacheHitRatio:
          serverHits === null || baseServerHits === null ? null : round(serverHits - baseServerHits),
      });
    }
  }
  return deltas;
}
