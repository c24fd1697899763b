/**
 * Whether the generator's late starts could have decided a failed latency
 * budget. Latency is measured from the intended start, so a late start adds
 * its lag to its iteration's latency and never takes any away: a budget that
 * held, held despite the lag; one that failed might have held had the
 * generator kept time. A failure stands when it survives the most the lag can
 * have added (failureStands). Only then is a FAILED verdict the system's;
 * otherwise the run is invalid.
 */
import { fractionAboveMs, type Histogram, percentilesMs, valueAtPercentileMs } from "../metrics/histogram.ts";
import type { ParsedThreshold } from "./parse.ts";

export interface LagBound {
  toleranceMs: number;
  /** Starts later than the tolerance, in the samples judged (the phase's, or a window's own count). */
  late: number;
  /** The largest lag in the phase: what a late start added at most. */
  maxLagMs: number;
  /** All the lag the phase's iterations carried, summed. */
  lagSumMs: number;
  /** The phase's lag tail: how many starts lagged more than `ms` (an upper bound for any window of it). */
  tail: { ms: number; count: number }[];
}

const TAIL_PERCENTILES = [50, 90, 99, 99.9];

/** The bound for a selection from its dispatch lag (µs histogram) and the tolerance. */
export function lagBoundOf(dispatchLag: Histogram, toleranceMs: number): LagBound {
  const n = dispatchLag.totalCount;
  // Rounded up: the fraction comes from a search over percentiles, and the bound must not undercount.
  const countAbove = (ms: number) =>
    n === 0 ? 0 : Math.max(0, Math.ceil(fractionAboveMs(dispatchLag, ms) * n - 1e-9));
  const stats = percentilesMs(dispatchLag);
  const at = [...TAIL_PERCENTILES.map((p) => valueAtPercentileMs(dispatchLag, p)), toleranceMs];
  const tail = [...new Set(at.filter((ms) => ms <= toleranceMs))].map((ms) => ({ ms, count: countAbove(ms) }));
  return { toleranceMs, late: countAbove(toleranceMs), maxLagMs: stats.max, lagSumMs: stats.mean * n, tail };
}

type Budget = Pick<ParsedThreshold, "metric" | "aggregation" | "percentile" | "operator" | "value">;

/**
 * True when this failed budget would still fail with every iteration's lag taken out (`latency`: intended
 * start → done, the samples in `histogram`). For any d, a sample above the budget by more than d whose start
 * lagged no more than d stays above it without its lag: those samples are at least the ones above budget + d,
 * less the starts that lagged more than d (the phase's count for a d below the tolerance, the window's own
 * late count at the tolerance). The failure stands when, for some d, more of them remain than the
 * percentile's tail holds.
 */
export function failureStands(t: Budget, histogram: Histogram, bound: LagBound): boolean {
  // Only an upper budget on latency can be failed by lag; a lower one only fails more without it.
  if (t.metric !== "latency" || !t.operator.startsWith("<")) return true;
  const n = histogram.totalCount;
  if (n === 0) return true;
  if (t.aggregation === "p(N)" || t.aggregation === "med" || t.aggregation === "max") {
    const q = t.aggregation === "med" ? 50 : t.aggregation === "max" ? 100 : (t.percentile ?? 0);
    const room = n * (1 - q / 100);
    return bound.tail.some(({ ms, count }) => {
      const lagged = ms >= bound.toleranceMs ? Math.min(count, bound.late) : count;
      return fractionAboveMs(histogram, t.value + ms) * n - lagged > room;
    });
  }
  if (t.aggregation === "avg") {
    const late = Math.min(bound.late, n);
    const lagSum = Math.min(bound.lagSumMs, (n - late) * bound.toleranceMs + late * bound.maxLagMs);
    return percentilesMs(histogram).mean - lagSum / n >= t.value;
  }
  if (t.aggregation === "min") return percentilesMs(histogram).min - bound.maxLagMs >= t.value;
  return true; // count: not a duration
}
