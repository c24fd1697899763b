/**
 * Runs of one scenario against runs of the same scenario (one or more a side): per measured phase and op,
 * each compared value is estimated with its 95% interval from the side's merged histograms, and judged:
 * - a **regression** when the new interval's low end is above the base's high end by more than the
 *   tolerance (of the base's high end), the floor, and the noise: the widest spread of that value between the
 *   runs of either side, or between the two halves of any one run (a histogram's interval holds for samples
 *   that do not cluster in time; on a shared host, stalls make them cluster, and one run's halves show it);
 * - an **improvement** the same way down; otherwise **within noise**;
 * - **not judged** when a side has too few samples for the value (a p99 needs 100);
 * - **disturbed** when others (programs, or other VMs' steal) used a run's host during the phase. A disturbed
 *   run is not evidence: where a side has undisturbed runs of the phase it is judged on those alone (merged
 *   in, the neighbour's stall moves the side's value; counted as noise, its wander widens the margin until a
 *   real change reads "within noise"); where every run of a side was disturbed, a change beyond the other
 *   side's noise is neither regression nor improvement, and said.
 */
import {
  type CompareOptions,
  type Comparison,
  type ComparisonRow,
  comparedPhases,
  type NoiseSummary,
  RATE_FLOOR_PCT,
  summaryOf,
} from "../../reports/compare.ts";
import { attemptsOf, failedOf, type OpReport, type RunReport } from "../../reports/schema.ts";
import { disturbedIn } from "../run/disturbed.ts";
import { type Estimate, METRICS, OpEstimates, ratePct } from "./estimates.ts";

const r3 = (n: number) => Math.round(n * 1000) / 1000;
const key = (o: { op: string; phase: string }) => `${o.phase}\u0000${o.op}`;

function spread(values: number[]): number | null {
  return values.length >= 2 ? Math.max(...values) - Math.min(...values) : null;
}

/** Where a run was disturbed during `phase`, in words; empty when it was not. */
function disturbance(run: RunReport, phase: string, side: string): string[] {
  const p = run.phases.find((x) => x.name === phase);
  if (!p) return [];
  return disturbedIn(run.disturbed, p.startMs, p.endMs).map(
    (w) =>
      `${side} run of ${run.startedAt}: others used ${w.otherCores} cores ${(w.fromMs / 1000).toFixed(0)}–${(w.toMs / 1000).toFixed(0)} s${w.by.length > 0 ? ` (${w.by.join(", ")})` : ""}`,
  );
}

function judge(
  base: Estimate | null,
  next: Estimate | null,
  noise: number | null,
  unit: "ms" | "%",
  options: CompareOptions,
): { verdict: ComparisonRow["verdict"]; note?: string } {
  if (!base || !next) {
    const side = !base && !next ? "either run" : !base ? "the base" : "the new run";
    return { verdict: "not judged", note: `too few samples in ${side} for this value` };
  }
  const floor = unit === "ms" ? options.floorMs : RATE_FLOOR_PCT;
  const margin = (ref: number) => Math.max(floor, (options.tolerancePct / 100) * ref, noise ?? 0);
  if (next.lo - base.hi > margin(base.hi)) return { verdict: "regression" };
  if (base.lo - next.hi > margin(next.hi)) return { verdict: "improvement" };
  return { verdict: "within noise" };
}

export function compareRuns(baseRuns: RunReport[], newRuns: RunReport[], options: CompareOptions): Comparison {
  const base = baseRuns.at(-1) as RunReport;
  const measured = comparedPhases(newRuns.at(-1) as RunReport);
  // Each op report of a run disturbed in its phase, with what disturbed it.
  const disturbedOps = new Map<OpReport, string[]>();
  const group = (runs: RunReport[], side: string) => {
    const byKey = new Map<string, OpReport[]>();
    for (const run of runs)
      for (const o of run.ops.filter((op) => measured.has(op.phase))) {
        byKey.set(key(o), [...(byKey.get(key(o)) ?? []), o]);
        const why = disturbance(run, o.phase, side);
        if (why.length > 0) disturbedOps.set(o, why);
      }
    return byKey;
  };
  const baseOps = group(baseRuns, "base");
  const newOps = group(newRuns, "new");
  const undisturbed = (o: OpReport) => !disturbedOps.has(o);
  const rows: ComparisonRow[] = [];
  const unmatched: string[] = [];
  const disturbed = new Set<string>();
  const perOp = new Map<string, NoiseSummary["perOp"][number]>();
  let withinRuns = false;
  let leftOut = false;
  for (const [k, allNext] of newOps) {
    const first = allNext[0] as OpReport;
    const allBase = baseOps.get(k);
    baseOps.delete(k);
    if (!allBase) {
      unmatched.push(`${first.op} in ${first.phase}: only in the new run`);
      continue;
    }
    // A side's undisturbed runs when it has any; all of them (and the verdict marked) when it has none.
    const judgedOn = (ops: OpReport[]) => (ops.some(undisturbed) ? ops.filter(undisturbed) : ops);
    const baseSide = judgedOn(allBase);
    const nextOps = judgedOn(allNext);
    if (baseSide.length < allBase.length || nextOps.length < allNext.length) leftOut = true;
    const why = [...baseSide, ...nextOps].flatMap((o) => disturbedOps.get(o) ?? []);
    for (const o of [...allBase, ...allNext]) {
      const left = !baseSide.includes(o) && !nextOps.includes(o);
      for (const w of disturbedOps.get(o) ?? [])
        disturbed.add(`${first.phase}: ${w}${left ? "; left out: judged on that side's other runs" : ""}`);
    }
    const b = new OpEstimates(baseSide);
    const n = new OpEstimates(nextOps);
    for (const metric of METRICS) {
      const unit = metric.metric === "error rate" ? "%" : "ms";
      const be = b.estimate(metric);
      const ne = n.estimate(metric);
      const basePoints = b.pointValues(metric, undisturbed);
      const newPoints = n.pointValues(metric, undisturbed);
      const halves = [...b.halfSpreads(metric, undisturbed), ...n.halfSpreads(metric, undisturbed)];
      const spreads = [spread(basePoints), spread(newPoints), ...halves].filter((x): x is number => x !== null);
      if (halves.length > 0) withinRuns = true;
      const noise = spreads.length > 0 ? r3(Math.max(...spreads)) : null;
      let { verdict, note } = judge(be, ne, noise, unit, options);
      if (why.length > 0 && (verdict === "regression" || verdict === "improvement")) {
        verdict = "disturbed";
        note = `not judged: ${why[0]}`;
      }
      const baseValue = be?.value ?? reportedValueOf(baseSide, metric.metric);
      const newValue = ne?.value ?? reportedValueOf(nextOps, metric.metric);
      const deltaPct = baseValue > 0 ? r3(((newValue - baseValue) / baseValue) * 100) : null;
      rows.push({
        phase: first.phase,
        op: first.op,
        metric: metric.metric,
        unit,
        baseMs: baseValue,
        newMs: newValue,
        deltaMs: r3(newValue - baseValue),
        deltaPct,
        baseInterval: be ? [be.lo, be.hi] : null,
        newInterval: ne ? [ne.lo, ne.hi] : null,
        baseSamples: be?.samples ?? samplesOf(baseSide),
        newSamples: ne?.samples ?? samplesOf(nextOps),
        noise,
        verdict,
        regression: verdict === "regression",
        withinNoise: verdict === "within noise" && deltaPct !== null && Math.abs(deltaPct) > options.tolerancePct,
        ...(note && { note }),
      });
      if (noise !== null && basePoints.length + newPoints.length > 0) {
        const lowest = Math.min(...basePoints, ...newPoints);
        const was = perOp.get(first.op);
        const pct = lowest > 0 ? r3((noise / lowest) * 100) : null;
        if (unit === "ms" && (!was || (pct ?? 0) > (was.spreadPct ?? 0)))
          perOp.set(first.op, { op: first.op, metric: metric.metric, spread: noise, spreadPct: pct });
      }
    }
  }
  for (const ops of baseOps.values()) {
    const o = ops[0] as OpReport;
    unmatched.push(`${o.op} in ${o.phase}: only in the base run`);
  }
  return {
    baseScenario: base.scenario,
    baseStartedAt: base.startedAt,
    options,
    baseRuns: baseRuns.length,
    newRuns: newRuns.length,
    noise:
      baseRuns.length >= 2 || newRuns.length >= 2 || withinRuns
        ? {
            baseRuns: baseRuns.length,
            newRuns: newRuns.length,
            ...(withinRuns && { withinRuns }),
            ...(leftOut && { leftOut }),
            perOp: [...perOp.values()],
          }
        : null,
    rows,
    regressions: rows.filter((r) => r.verdict === "regression"),
    improvements: rows.filter((r) => r.verdict === "improvement"),
    disturbed: [...disturbed],
    unmatched,
    summary: summaryOf(rows),
  };
}

/** The report's own point value where the interval could not be had (too few samples). */
function reportedValueOf(ops: OpReport[], metric: ComparisonRow["metric"]): number {
  const o = ops.at(-1) as OpReport;
  switch (metric) {
    case "latency p50":
      return o.latencyMs.p50;
    case "latency p95":
      return o.latencyMs.p95;
    case "latency p99":
      return o.latencyMs.p99;
    case "pool wait p95":
      return o.poolWaitMs.p95;
    default:
      return attemptsOf(o) > 0 ? ratePct(failedOf(o) / attemptsOf(o)) : 0;
  }
}

const samplesOf = (ops: OpReport[]) => ops.reduce((n, o) => n + o.count, 0);
