/**
 * `rehearse merge`: the parts of one run split into segments, checked to belong together, merged into the
 * report one process would have written: ops and seconds merged from their histograms, budgets, deltas and
 * recoveries judged on the merged data, the generator judged over every part; parts that are missing, given
 * twice or began late are named.
 */
import { BadInputError } from "../../core/errors.ts";
import { type MergedReport, measuredPhases, type RunReport, SCHEMA_VERSION } from "../../reports/schema.ts";
import { decodeHistogram, fractionAboveMs, mergeHistograms, valueAtPercentileMs } from "../metrics/histogram.ts";
import { judgeOps, statusOf } from "../run/build-report.ts";
import {
  assessGenerator,
  DEFAULT_TOLERANCE,
  type GeneratorHealth,
  LATE_VERDICT,
  settleLateness,
} from "../runner/generator-health.ts";
import type { LoadedScenario } from "../scenario/load.ts";
import { mergeOpReports, mergePerSecond } from "./merge-ops.ts";

export interface Part {
  file: string;
  report: RunReport;
}

export type Segmented = Part & { segment: NonNullable<RunReport["segment"]> };

/** The run a part belongs to: scenario, number of segments and shared start. */
const runOf = (p: Segmented) => `${p.report.scenario}, ${p.segment.count} segments from ${p.segment.startAt}`;

/** Refuses (exit 2) what is not the parts of one run. */
export function checkParts(parts: Part[]): Segmented[] {
  if (parts.length === 0) throw new BadInputError("the parts", ["give the parts' report.json files"]);
  const problems: string[] = [];
  const segmented: Segmented[] = [];
  for (const p of parts) {
    if (!p.report.segment) problems.push(`${p.file}: not a segment's part (it was not run with --segment i/N)`);
    else segmented.push({ ...p, segment: p.report.segment });
  }
  const runs = new Set(segmented.map(runOf));
  if (runs.size > 1) {
    problems.push(
      `the parts are of ${runs.size} different runs (scenario, segments, start): ${segmented.map((p) => `${p.file}: ${runOf(p)}`).join("; ")}`,
    );
  }
  const scales = new Set(segmented.map((p) => p.segment.durationScale));
  if (scales.size > 1) problems.push(`the parts ran with different --duration-scale: ${[...scales].join(", ")}`);
  if (problems.length > 0) throw new BadInputError("the parts", problems);
  return segmented;
}

export interface MergeLayout {
  /** One part per segment, in segment order. */
  parts: Segmented[];
  merged: MergedReport;
}

export function layoutOf(given: Segmented[]): MergeLayout {
  const first = given[0] as Segmented;
  const { count, startAt } = first.segment;
  const seen = new Set<number>();
  const overlapping = new Set<number>();
  const parts: Segmented[] = [];
  for (const p of given) {
    if (seen.has(p.segment.index)) overlapping.add(p.segment.index);
    else parts.push(p);
    seen.add(p.segment.index);
  }
  parts.sort((a, b) => a.segment.index - b.segment.index);
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  const conductor = parts.find((p) => !p.segment.loadOnly)?.segment.index ?? null;
  return {
    parts,
    merged: {
      count,
      startAt,
      conductor,
      parts: parts.map((p) => ({
        index: p.segment.index,
        file: p.file,
        status: p.report.status,
        startLagMs: p.segment.startLagMs,
        loadOnly: p.segment.loadOnly,
      })),
      missing,
      overlapping: [...overlapping].sort((a, b) => a - b),
      late: parts.filter((p) => p.segment.startLagMs > p.segment.lagToleranceMs).map((p) => p.segment.index),
    },
  };
}

/** The generator over every part: rates and drops added, lateness from the merged dispatch lag. */
function mergedGenerator(layout: MergeLayout, ops: RunReport["ops"], measured: Set<string>): GeneratorHealth {
  const { parts, merged } = layout;
  const tolerance = { ...DEFAULT_TOLERANCE, dispatchLagMs: (parts[0] as Segmented).segment.lagToleranceMs };
  const lag = mergeHistograms(
    ops.filter((o) => measured.has(o.phase)).map((o) => decodeHistogram(o.histograms.dispatch_lag)),
  );
  const lateShare = fractionAboveMs(lag, tolerance.dispatchLagMs);
  const g = parts.map((p) => p.report.generator);
  const sum = (f: (x: RunReport["generator"]) => number) => g.reduce((n, x) => n + f(x), 0);
  const health = assessGenerator(
    {
      targetRate: sum((x) => x.targetRate),
      achievedRate: sum((x) => x.achievedRate),
      droppedIterations: sum((x) => x.droppedIterations),
      dispatchLagP99Ms: valueAtPercentileMs(lag, 99),
      lateShare,
      lateIterations: Math.round(lateShare * lag.totalCount),
      // Per process: the worst part's.
      eventLoopDelayP99Ms: Math.max(...g.map((x) => x.eventLoopDelayP99Ms)),
      cpuPercent: Math.max(...g.map((x) => x.cpuPercent)),
    },
    tolerance,
  );
  const reasons = [
    ...merged.missing.map(
      (i) => `segment ${i}/${merged.count} is missing: the merged load is short of the schedule by its share`,
    ),
    ...parts
      .filter((p) => merged.late.includes(p.segment.index))
      .map(
        (p) =>
          `segment ${p.segment.index}/${merged.count} began ${p.segment.startLagMs} ms after ${merged.startAt} (tolerance ${p.segment.lagToleranceMs} ms)`,
      ),
    ...parts.flatMap((p) =>
      p.report.generator.reasons
        .filter((r) => !r.endsWith(LATE_VERDICT))
        .map((r) => `segment ${p.segment.index}/${merged.count}: ${r}`),
    ),
    ...health.reasons,
  ];
  return { ...health, valid: reasons.length === 0, reasons };
}

/** One report from the parts (checked by checkParts), judged with the scenario's budgets. */
export function mergeParts(given: Segmented[], scenario: LoadedScenario): RunReport {
  const layout = layoutOf(given);
  const { parts, merged } = layout;
  const base = (parts.find((p) => p.segment.index === merged.conductor) ?? parts[0]) as Segmented;
  if (base.report.scenario !== scenario.name) {
    throw new BadInputError("the scenario", [
      `the parts are of '${base.report.scenario}'; the scenario file is '${scenario.name}'`,
    ]);
  }
  const ops = mergeOpReports(parts.map((p) => p.report.ops));
  const perSecond = mergePerSecond(parts.map((p) => p.report.perSecond));
  const durationMs = Math.max(...parts.map((p) => p.report.durationMs));
  const conducted = merged.conductor === null ? undefined : base.report;
  const timeline = conducted?.timeline ?? [];
  const actions = conducted?.actions ?? [];
  const judged = judgeOps({
    scenario,
    ops,
    durationMs,
    loadStartMs: perSecond.originMs,
    phases: base.report.phases,
    perSecond,
    timeline,
    actions,
  });
  const generator = settleLateness(mergedGenerator(layout, ops, measuredPhases(base.report)), judged.thresholds);
  const stoppedEarly = parts.flatMap((p) => p.report.statusReasons.filter((r) => r.startsWith("stopped early:")));
  const { status, reasons } = statusOf({
    aborted: parts.some((p) => p.report.status === "aborted"),
    stoppedByThreshold: stoppedEarly.length > 0,
    generator,
    thresholds: judged.thresholds,
    actions,
  });
  const { segment: _part, ...rest } = base.report;
  return {
    ...rest,
    schemaVersion: SCHEMA_VERSION,
    status,
    statusReasons: [...stoppedEarly, ...reasons],
    durationMs,
    ops,
    perSecond,
    timeline,
    actions,
    outages: conducted?.outages ?? [],
    ...judged,
    generator,
    merged,
  };
}
