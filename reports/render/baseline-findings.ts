/**
 * Is the baseline a baseline? Every delta is measured against it, so when it
 * was still moving — the cache still filling, p95 or throughput drifting, the
 * host busy with work that is not the rehearsal — the report says so first,
 * with the numbers, and suggests the warm-up it would have needed. A trend is
 * the baseline's last third against its first third (5 seconds each at least):
 * every second of one beyond every second of the other (with 5 against 5, a
 * chance of 1 in 126 for a baseline that does not move), and by these bounds:
 */
import type { RunReport, TimelineSample } from "../schema.ts";
import { rank, TIER } from "./finding-rank.ts";
import { fmtMs } from "./format.ts";

/** Hit ratio moved this many points. */
const HIT_RATIO_POINTS = 0.1;
/** p95 changed by half or more, and by 2 ms or more. */
const P95_RATIO = 1.5;
const P95_MIN_MS = 2;
/** Completions per second changed by a fifth (an open-loop schedule is constant: the system fell behind). */
const THROUGHPUT_SHARE = 0.2;
/** Host CPU changed by this many points. */
const HOST_POINTS = 20;
/** Other programs took a quarter of a core or more on average. */
const OTHER_CORES = 0.25;
/** Thirds of at least 5 seconds. */
const MIN_BASELINE_MS = 15_000;

export interface BaselineFinding {
  score: number;
  text: string;
}

const mean = (values: number[]) => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);
const median = (values: number[]) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};
const pct = (r: number) => `${Math.round(r * 100)}%`;

/** First and last third of a list. */
function thirds<T>(values: T[]): [T[], T[]] {
  const n = Math.floor(values.length / 3);
  return [values.slice(0, n), values.slice(values.length - n)];
}

/** Every value of one list beyond every value of the other: the two thirds do not overlap. */
function separated(a: number[], b: number[]): boolean {
  if (a.length < 5 || b.length < 5) return false;
  return Math.max(...a) < Math.min(...b) || Math.min(...a) > Math.max(...b);
}

/** Redis' hit ratio per sampler second (its counters are totals), with the second's start. */
function hitRatios(timeline: TimelineSample[]): { atMs: number; ratio: number }[] {
  const out: { atMs: number; ratio: number }[] = [];
  for (let i = 1; i < timeline.length; i++) {
    const a = timeline[i - 1];
    const b = timeline[i];
    if (!a?.redis || !b?.redis) continue;
    const hits = b.redis.keyspaceHits - a.redis.keyspaceHits;
    const misses = b.redis.keyspaceMisses - a.redis.keyspaceMisses;
    if (hits >= 0 && misses >= 0 && hits + misses > 0) out.push({ atMs: a.tMs, ratio: hits / (hits + misses) });
  }
  return out;
}

/** When, from the load's start, the hit ratio first came within 5 points of where the baseline ended. */
function settledAt(ratios: { atMs: number; ratio: number }[], level: number, loadStartMs: number, endMs: number) {
  const at = ratios.find((r) => r.atMs < endMs && Math.abs(r.ratio - level) <= 0.05);
  return at ? at.atMs - loadStartMs : undefined;
}

const roundUp5s = (ms: number) => `${Math.ceil(ms / 5000) * 5} s`;

export function baselineFindings(report: RunReport): BaselineFinding[] {
  const base = report.phases.find((p) => p.name === (report.baseline ?? report.phases[0]?.name));
  if (!base || base.endMs - base.startMs < MIN_BASELINE_MS) return []; // too short to tell a trend from noise
  // Nothing is measured against it (no phase after it), or something in it explains its trend: a fault of the
  // scenario's own, or a service or the app that died (said by its own finding).
  const inBase = (fromMs: number, toMs: number | null) =>
    fromMs < base.endMs && (toMs ?? Number.POSITIVE_INFINITY) > base.startMs;
  if (report.deltas.length === 0) return [];
  if (report.actions.some((a) => inBase(a.startMs, a.endMs))) return [];
  if ((report.outages ?? []).some((o) => inBase(o.fromMs, o.toMs))) return [];
  if ((report.app?.instances ?? []).some((i) => i.crashed && i.exitedMs !== null && inBase(i.exitedMs, i.exitedMs + 1)))
    return [];
  const loadStart = report.perSecond.originMs;
  const trends: string[] = [];
  let warmup: string | undefined;

  const ratios = hitRatios(report.timeline);
  const baseRatios = ratios.filter((r) => r.atMs >= base.startMs && r.atMs + 1000 <= base.endMs);
  const [firstR, lastR] = thirds(baseRatios.map((r) => r.ratio));
  const r0 = mean(firstR);
  const r1 = mean(lastR);
  if (r0 !== null && r1 !== null && Math.abs(r1 - r0) >= HIT_RATIO_POINTS && separated(firstR, lastR)) {
    trends.push(`Redis' hit ratio ${r1 > r0 ? "climbed" : "fell"} from ${pct(r0)} to ${pct(r1)}`);
    if (r1 > r0) {
      const settled = settledAt(ratios, r1, loadStart, base.endMs);
      warmup =
        settled !== undefined && settled > base.startMs - loadStart
          ? `a warm-up of about ${roundUp5s(settled)} (when the hit ratio came within 5 points of its level)`
          : `a warm-up longer than ${roundUp5s(base.endMs - loadStart)} (the hit ratio was still climbing at the end of the baseline; a cache fills for about as long as its keys live)`;
    }
  }

  const { originMs, intervalMs, ops } = report.perSecond;
  const secondsOfBase = (length: number) =>
    Array.from({ length }, (_, i) => i).filter((i) => {
      const at = originMs + i * intervalMs;
      return at >= base.startMs && at + intervalMs <= base.endMs;
    });
  for (const [op, series] of Object.entries(ops)) {
    const idx = secondsOfBase(series.p95Ms.length).filter((i) => series.p95Ms[i] !== null);
    const [a, b] = thirds(idx.map((i) => series.p95Ms[i] as number));
    const p0 = median(a);
    const p1 = median(b);
    if (p0 === null || p1 === null) continue;
    const ratio = p1 / Math.max(0.001, p0);
    if ((ratio >= P95_RATIO || ratio <= 1 / P95_RATIO) && Math.abs(p1 - p0) >= P95_MIN_MS && separated(a, b))
      trends.push(`${op} p95 went from ${fmtMs(p0)} to ${fmtMs(p1)}`);
  }

  const totals = (length: number) =>
    secondsOfBase(length).map((i) => Object.values(ops).reduce((n, s) => n + (s.count[i] ?? 0), 0));
  const length = Math.max(0, ...Object.values(ops).map((s) => s.count.length));
  const [tFirst, tLast] = thirds(totals(length));
  const [t0, t1] = [mean(tFirst), mean(tLast)];
  if (t0 && t1 !== null && Math.abs(t1 - t0) / t0 >= THROUGHPUT_SHARE && separated(tFirst, tLast))
    trends.push(`throughput went from ${Math.round(t0)}/s to ${Math.round(t1)}/s`);

  const host = report.timeline.filter((t) => t.tMs - 500 >= base.startMs && t.tMs - 500 < base.endMs);
  const [hFirst, hLast] = thirds(host.flatMap((t) => (t.host ? [t.host.busyPct] : [])));
  const [h0, h1] = [mean(hFirst), mean(hLast)];
  if (h0 !== null && h1 !== null && Math.abs(h1 - h0) >= HOST_POINTS && separated(hFirst, hLast))
    trends.push(`the host went from ${Math.round(h0)}% to ${Math.round(h1)}% busy`);

  const out: BaselineFinding[] = [];
  if (trends.length > 0) {
    out.push({
      score: rank(TIER.baseline, 2),
      text: `the baseline was not steady: ${trends.join("; ")} from its first third to its last; every delta is measured against it${warmup ? `. Give the scenario ${warmup}` : ". Give the scenario a longer warm-up before it"}`,
    });
  }
  const other = mean(host.flatMap((t) => (t.cpu ? [t.cpu.other] : [])));
  if (other !== null && other >= OTHER_CORES) {
    const names = new Map<string, number>();
    for (const t of host)
      for (const o of t.cpu?.topOther ?? []) names.set(o.name, (names.get(o.name) ?? 0) + o.cores / host.length);
    const top = [...names].sort((a, b) => b[1] - a[1]).slice(0, 3);
    out.push({
      score: rank(TIER.baseline, 1),
      text: `the host was busy with work other than this rehearsal during the baseline: ${other.toFixed(2)} cores on average${top.length > 0 ? ` (${top.map(([n, c]) => `${n} ${c.toFixed(2)}`).join(", ")})` : ""}; latencies measured beside it may be the neighbour's, not the system's`,
    });
  }
  return out;
}
