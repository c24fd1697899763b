/**
 * A directory of new runs against a directory of accepted baselines, as a nightly job needs: reports are
 * grouped by scenario; a scenario's accepted runs (the newest MAX_BASELINES of those comparable with the
 * newest) are the base side, its new runs (one, or several from `run --repeat`) the new side. Nothing
 * compared is never a pass: no new run at all is bad input, and a baselined scenario without a new run is
 * a failure (its rehearsal did not produce a report).
 */
import { type CompareOptions, type Comparison, incompatibilities } from "../../reports/compare.ts";
import type { RunReport } from "../../reports/schema.ts";
import { compareRuns } from "./compare-runs.ts";

/** Accepted runs used per scenario: the newest five (older ones describe an older system). */
export const MAX_BASELINES = 5;

export interface ScenarioComparison {
  scenario: string;
  /** Accepted runs found, and used (the newest, comparable with the newest). */
  baselines: number;
  used: number;
  comparison: Comparison;
}

export interface SuiteComparison {
  scenarios: ScenarioComparison[];
  /** Scenarios of the new runs with no accepted baseline (not a failure: accept one). */
  withoutBaseline: string[];
  /** Baselined scenarios with no new run: nothing was compared for them (a failure). */
  missingRuns: string[];
  /** Scenarios whose new runs and base cannot be compared, with the reasons. */
  incompatible: { scenario: string; reasons: string[] }[];
  regressions: number;
}

const byStart = (a: RunReport, b: RunReport) => a.startedAt.localeCompare(b.startedAt);

export function compareSuite(baselines: RunReport[], runs: RunReport[], options: CompareOptions): SuiteComparison {
  const result: SuiteComparison = {
    scenarios: [],
    withoutBaseline: [],
    missingRuns: [],
    incompatible: [],
    regressions: 0,
  };
  const names = [...new Set(runs.map((r) => r.scenario))].sort();
  for (const scenario of names) {
    const next = runs.filter((r) => r.scenario === scenario).sort(byStart);
    const accepted = baselines.filter((b) => b.scenario === scenario).sort(byStart);
    const newest = accepted.at(-1);
    if (!newest) {
      result.withoutBaseline.push(scenario);
      continue;
    }
    const reasons = [
      ...new Set(next.flatMap((n) => incompatibilities(newest, n))),
      ...new Set(next.flatMap((n) => incompatibilities(next[0] as RunReport, n))),
    ];
    if (reasons.length > 0) {
      result.incompatible.push({ scenario, reasons });
      continue;
    }
    const used = accepted.filter((b) => incompatibilities(newest, b).length === 0).slice(-MAX_BASELINES);
    const comparison = compareRuns(used, next, options);
    result.regressions += comparison.regressions.length;
    result.scenarios.push({ scenario, baselines: accepted.length, used: used.length, comparison });
  }
  const compared = new Set(names);
  result.missingRuns = [...new Set(baselines.map((b) => b.scenario))].filter((s) => !compared.has(s)).sort();
  return result;
}
