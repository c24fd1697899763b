/**
 * Comparing a directory of runs with a directory of accepted baselines, as a
 * nightly job does: reports are paired by scenario; the newest accepted run
 * of a scenario is its base. With several accepted runs of a scenario, their
 * spread tells noise from regression: when the baseline phase's p95 of an op
 * varied between accepted runs by more than the tolerance (and the floor),
 * the machine is that noisy, and changes within that spread are reported as
 * noise instead of regressions.
 */
import { type CompareOptions, type Comparison, compareReports, incompatibilities } from "./compare.ts";
import type { RunReport } from "./schema.ts";

export interface Noise {
  /** The widest spread of an op's baseline-phase p95 between accepted runs, in percent of the lowest. */
  spreadPct: number;
  op: string;
  lowMs: number;
  highMs: number;
  runs: number;
}

export interface ScenarioComparison {
  scenario: string;
  /** Accepted runs of the scenario found (the newest is the base). */
  baselines: number;
  /** Null when fewer than two accepted runs: the noise is unknown. */
  noise: Noise | null;
  /** Above the tolerance: the comparison was judged with the noise instead. */
  noisy: boolean;
  comparison: Comparison;
}

export interface SuiteComparison {
  scenarios: ScenarioComparison[];
  /** Scenarios of the new runs with no accepted baseline (not a failure: accept one). */
  withoutBaseline: string[];
  /** Scenarios whose new run and base cannot be compared, with the reasons. */
  incompatible: { scenario: string; reasons: string[] }[];
  regressions: number;
}

function baselinePhase(report: RunReport): string | undefined {
  return report.baseline ?? report.phases[0]?.name;
}

/** The run-to-run spread of the baseline phase's p95 per op over accepted runs; null below two runs. */
export function noiseOf(runs: RunReport[], floorMs: number): Noise | null {
  if (runs.length < 2) return null;
  const byOp = new Map<string, number[]>();
  for (const run of runs) {
    const phase = baselinePhase(run);
    for (const o of run.ops.filter((op) => op.phase === phase)) {
      byOp.set(o.op, [...(byOp.get(o.op) ?? []), o.latencyMs.p95]);
    }
  }
  let widest: Noise = { spreadPct: 0, op: "", lowMs: 0, highMs: 0, runs: runs.length };
  for (const [op, values] of byOp) {
    const low = Math.min(...values);
    const high = Math.max(...values);
    if (high - low <= floorMs || low <= 0) continue;
    const spreadPct = Math.round(((high - low) / low) * 1000) / 10;
    if (spreadPct > widest.spreadPct) widest = { spreadPct, op, lowMs: low, highMs: high, runs: runs.length };
  }
  return widest;
}

export function compareSuite(baselines: RunReport[], runs: RunReport[], options: CompareOptions): SuiteComparison {
  const result: SuiteComparison = { scenarios: [], withoutBaseline: [], incompatible: [], regressions: 0 };
  for (const next of runs) {
    const accepted = baselines
      .filter((b) => b.scenario === next.scenario)
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    const base = accepted.at(-1);
    if (!base) {
      result.withoutBaseline.push(next.scenario);
      continue;
    }
    const reasons = incompatibilities(base, next);
    if (reasons.length > 0) {
      result.incompatible.push({ scenario: next.scenario, reasons });
      continue;
    }
    const noise = noiseOf(accepted, options.floorMs);
    const noisy = noise !== null && noise.spreadPct > options.tolerancePct;
    const comparison = compareReports(base, next, noisy ? { ...options, noisePct: noise.spreadPct } : options);
    result.regressions += comparison.regressions.length;
    result.scenarios.push({ scenario: next.scenario, baselines: accepted.length, noise, noisy, comparison });
  }
  return result;
}
