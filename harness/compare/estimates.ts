/**
 * What a run (or several runs of one scenario, merged) says about one op in one phase, with its uncertainty:
 * each quantile with the 95% order-statistic interval from the histogram itself (the binomial interval on
 * the rank), the error rate with Wilson's interval. Too few samples for a quantile (a p99 of 60 requests)
 * gives no estimate: not judged, never guessed.
 */
import { quantileRankInterval, wilsonInterval } from "../../core/stats.ts";
import type { CompareMetric } from "../../reports/compare.ts";
import { attemptsOf, failedOf, type OpReport, type Trend } from "../../reports/schema.ts";
import { decodeHistogram, type Histogram, mergeHistograms, valueAtPercentileMs } from "../metrics/histogram.ts";

export interface Estimate {
  value: number;
  lo: number;
  hi: number;
  samples: number;
}

export const METRICS: { metric: CompareMetric; trend?: Trend; q?: number }[] = [
  { metric: "latency p50", trend: "latency", q: 0.5 },
  { metric: "latency p95", trend: "latency", q: 0.95 },
  { metric: "latency p99", trend: "latency", q: 0.99 },
  { metric: "pool wait p95", trend: "pool_wait", q: 0.95 },
  { metric: "error rate" },
];

const ms3 = (n: number) => Math.round(n * 1000) / 1000;

/** The value at a 1-based rank of n samples (HdrHistogram's percentile of the rank's middle). */
function atRank(h: Histogram, rank: number, n: number): number {
  return valueAtPercentileMs(h, ((rank - 0.5) / n) * 100);
}

export function quantileEstimate(h: Histogram, q: number): Estimate | null {
  const n = h.totalCount;
  const ranks = quantileRankInterval(n, q);
  if (!ranks) return null;
  return {
    value: ms3(valueAtPercentileMs(h, q * 100)),
    lo: ms3(atRank(h, ranks.lo, n)),
    hi: ms3(atRank(h, ranks.hi, n)),
    samples: n,
  };
}

/** Below this many iterations an error rate is not judged. */
const MIN_RATE_SAMPLES = 10;

/** A share in percent, as comparisons give rates (1 failure in 1400 is 0.0714, never 0). */
export const ratePct = (share: number) => Math.round(share * 1e6) / 1e4;

/** Failed of attempted, in percent. */
export function rateEstimate(failures: number, n: number): Estimate | null {
  if (n < MIN_RATE_SAMPLES) return null;
  const w = wilsonInterval(failures, n);
  if (!w) return null;
  return { value: ratePct(failures / n), lo: ratePct(w.lo), hi: ratePct(w.hi), samples: n };
}

/** One op × phase over one or more runs: each run's histograms decoded once, merged for the side. */
export class OpEstimates {
  private readonly perRun = new Map<Trend, (Histogram | undefined)[]>();
  private readonly merged = new Map<Trend, Histogram>();
  private readonly ops: OpReport[];
  constructor(ops: OpReport[]) {
    this.ops = ops;
  }

  /** Each run's histogram of a trend, in the order of the ops (undefined: that run kept none). */
  private runs(trend: Trend): (Histogram | undefined)[] {
    let hs = this.perRun.get(trend);
    if (!hs) {
      hs = this.ops.map((o) => {
        const encoded = o.histograms[trend];
        return encoded ? decodeHistogram(encoded) : undefined;
      });
      this.perRun.set(trend, hs);
    }
    return hs;
  }

  private histogram(trend: Trend): Histogram {
    let h = this.merged.get(trend);
    if (!h) {
      h = mergeHistograms(this.runs(trend).filter((x): x is Histogram => x !== undefined));
      this.merged.set(trend, h);
    }
    return h;
  }

  estimate(metric: (typeof METRICS)[number]): Estimate | null {
    if (metric.trend && metric.q !== undefined) return quantileEstimate(this.histogram(metric.trend), metric.q);
    return rateEstimate(
      this.ops.reduce((n, o) => n + failedOf(o), 0),
      this.ops.reduce((n, o) => n + attemptsOf(o), 0),
    );
  }

  /** Per run that kept its halves (report.json `halves`), how far the value moved from its phase's first half
   * to its second; a half with too few samples for the value gives none. Error rates: none. `counted`: the
   * runs whose wander is noise (default: every one). */
  halfSpreads(metric: (typeof METRICS)[number], counted: (o: OpReport) => boolean = () => true): number[] {
    const { trend, q } = metric;
    if ((trend !== "latency" && trend !== "pool_wait") || q === undefined) return [];
    return this.ops.flatMap((o) => {
      const halves = counted(o) ? o.halves?.[trend] : undefined;
      if (!halves) return [];
      const [a, b] = halves.map((e) => quantileEstimate(decodeHistogram(e), q));
      return a && b ? [ms3(Math.abs(a.value - b.value))] : [];
    });
  }

  /** Each run's own point value, for the run-to-run spread (`counted`: as for halfSpreads). */
  pointValues(metric: (typeof METRICS)[number], counted: (o: OpReport) => boolean = () => true): number[] {
    const { trend, q } = metric;
    const histograms = trend && q !== undefined ? this.runs(trend) : undefined;
    return this.ops.flatMap((o, i) => {
      if (!counted(o)) return [];
      const h = histograms?.[i];
      const e = histograms
        ? h && q !== undefined
          ? quantileEstimate(h, q)
          : null
        : rateEstimate(failedOf(o), attemptsOf(o));
      return e ? [e.value] : [];
    });
  }
}
