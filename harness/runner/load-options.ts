/** How a scenario's load is run and judged, the same in the main thread and in every load worker. */
import { measuredPhases } from "../../reports/schema.ts";
import type { MetricsStore } from "../metrics/store.ts";
import type { LoadedScenario } from "../scenario/load.ts";
import { DEFAULT_TOLERANCE } from "./generator-health.ts";

export function loadOptionsOf(scenario: LoadedScenario) {
  return {
    thresholds: scenario.thresholds,
    phases: scenario.phases,
    // Phases before the baseline are warm-up: the generator is judged on what is measured.
    measuredPhases: [...measuredPhases(scenario)],
    windowedPhases: windowedPhases(scenario),
    tolerance: { ...DEFAULT_TOLERANCE, dispatchLagMs: scenario.lagToleranceMs },
  };
}

/** The phases some budget is judged on rolling windows in: their series are kept second by second. */
function windowedPhases(scenario: LoadedScenario): string[] {
  const phases = new Set<string>();
  for (const t of scenario.thresholds) {
    if ((t.judgeWindowMs ?? 0) <= 0) continue;
    if (t.tags.phase !== undefined) phases.add(t.tags.phase);
  }
  return [...phases];
}

export interface LoadTotals {
  iterations: number;
  errors: number;
  dropped: number;
}

export function totalsOf(store: MetricsStore): LoadTotals {
  const all = store.all();
  return {
    iterations: all.reduce((n, s) => n + s.iterations, 0),
    errors: all.reduce((n, s) => n + s.errorCount, 0),
    dropped: all.reduce((n, s) => n + s.dropped, 0),
  };
}
