/**
 * Deltas of every phase after the baseline against it, per op: what users felt
 * (p95/p99 latency, pool wait, errors, the op's own cache hits where rehearse's
 * cache client counted them), and the recovery time of the fault that began in
 * the phase (from recovery.ts: from the fault until the op was back within its
 * baseline band; null when no fault began there, the op never left its band,
 * or it did not recover before the run ended). What the servers saw (PgBouncer's
 * wait and queue, Redis' and Postgres' hit ratios) is the server's, per phase:
 * `phaseSignals`; the per-op delta repeats PgBouncer's and Redis' figures only
 * because report.json's contract has them there.
 * A pure function of the report's pieces (the engine computes them; report.json carries them).
 */
import {
  attemptsOf,
  type Delta,
  failedOf,
  type OpReport,
  type PhaseSignals,
  type RecoveryRecord,
  type TimelineSample,
} from "../../reports/schema.ts";

export interface Phase {
  name: string;
  startMs: number;
  endMs: number;
}

/** Recovery is judged stable after this many seconds back within the band (a scenario's recovery.stableFor). */
export const DEFAULT_STABLE_FOR_S = 5;

const round = (n: number) => Math.round(n * 1000) / 1000;
const errorRate = (o: OpReport) => (attemptsOf(o) === 0 ? 0 : failedOf(o) / attemptsOf(o));
const hitRatio = (o: OpReport) => {
  const lookups = o.cacheHits + o.cacheMisses;
  return lookups === 0 ? null : o.cacheHits / lookups;
};

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

/** The sampler's seconds that fall in a phase (a sample covers the second before its tick). */
function samplesIn(timeline: TimelineSample[], phase: Phase): TimelineSample[] {
  return timeline.filter((t) => t.tMs - 500 >= phase.startMs && t.tMs - 500 < phase.endMs);
}

/** Postgres' buffer hit ratio over the phase (pg_stat_database's totals). */
function bufferHitRatio(timeline: TimelineSample[], phase: Phase): number | null {
  const hits = growth(timeline, phase, (t) => t.postgres?.blksHit);
  const reads = growth(timeline, phase, (t) => t.postgres?.blksRead);
  if (hits === null || reads === null || hits + reads === 0) return null;
  return round(hits / (hits + reads));
}

/** What the servers saw in each measured phase, once per phase (not a property of any op). */
export function phaseSignals(input: { phases: Phase[]; baseline: string; timeline: TimelineSample[] }): PhaseSignals[] {
  const from = Math.max(
    0,
    input.phases.findIndex((p) => p.name === input.baseline),
  );
  const base = input.phases[from];
  const baseWait = base ? serverPoolWait(input.timeline, base) : null;
  const baseHits = base ? serverCacheHitRatio(input.timeline, base) : null;
  const baseBuffer = base ? bufferHitRatio(input.timeline, base) : null;
  const delta = (now: number | null, then: number | null) => (now === null || then === null ? null : round(now - then));
  return input.phases.slice(from).map((phase) => {
    const window = samplesIn(input.timeline, phase);
    const peak = (pick: (t: TimelineSample) => number | undefined) => Math.max(0, ...window.map((t) => pick(t) ?? 0));
    const wait = serverPoolWait(input.timeline, phase);
    const hits = serverCacheHitRatio(input.timeline, phase);
    const buffer = bufferHitRatio(input.timeline, phase);
    return {
      phase: phase.name,
      serverPoolWaitMs: wait,
      deltaServerPoolWaitMs: delta(wait, baseWait),
      peakClWaiting: peak((t) => t.pgbouncer?.clWaiting),
      peakMaxWaitMs: round(peak((t) => t.pgbouncer?.maxWaitMs)),
      peakSvActive: peak((t) => t.pgbouncer?.svActive),
      redisHitRatio: hits,
      deltaRedisHitRatio: delta(hits, baseHits),
      evictedKeys: growth(input.timeline, phase, (t) => t.redis?.evictedKeys),
      bufferHitRatio: buffer,
      deltaBufferHitRatio: delta(buffer, baseBuffer),
      peakLockWaiters: peak((t) => t.postgres?.waiting.Lock),
    };
  });
}

export function computeDeltas(input: {
  phases: Phase[];
  baseline: string;
  ops: OpReport[];
  timeline: TimelineSample[];
  recoveries: RecoveryRecord[];
}): Delta[] {
  const deltas: Delta[] = [];
  // Phases before the baseline are warm-up: compared with nothing.
  const after = input.phases.slice(input.phases.findIndex((p) => p.name === input.baseline) + 1);
  const basePhase = input.phases.find((p) => p.name === input.baseline);
  const baseServerWait = basePhase ? serverPoolWait(input.timeline, basePhase) : null;
  const baseServerHits = basePhase ? serverCacheHitRatio(input.timeline, basePhase) : null;
  for (const phase of after) {
    const window = samplesIn(input.timeline, phase);
    const serverWait = serverPoolWait(input.timeline, phase);
    const serverHits = serverCacheHitRatio(input.timeline, phase);
    const peakClWaiting = Math.max(0, ...window.map((t) => t.pgbouncer?.clWaiting ?? 0));
    const peakMaxWaitMs = Math.max(0, ...window.map((t) => t.pgbouncer?.maxWaitMs ?? 0));
    // The recovery of the first fault that began in this phase.
    const faultHere = (r: RecoveryRecord) => r.fromMs >= phase.startMs && r.fromMs < phase.endMs;
    for (const op of input.ops.filter((o) => o.phase === phase.name)) {
      const base = input.ops.find((o) => o.phase === input.baseline && o.op === op.op);
      if (!base) continue;
      const recovery = input.recoveries.find((r) => faultHere(r) && r.op === op.op);
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
        // Exact: one failure in 1400 is 0.000714, never rounded to 0.
        errorRate: errorRate(op),
        deltaErrorRate: errorRate(op) - errorRate(base),
        cacheHitRatio: ratio === null ? null : round(ratio),
        deltaCacheHitRatio: ratio === null || baseRatio === null ? null : round(ratio - baseRatio),
        peakClWaiting,
        peakMaxWaitMs: round(peakMaxWaitMs),
        recoveryMs: recovery?.recoveryMs ?? null,
        ...(recovery && { recovery: recovery.state }),
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
