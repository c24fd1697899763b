/** What the live progress shows, computed once a second from the run's per-second figures. */
import type { OpSeconds, PerSecondLatency } from "../metrics/per-second.ts";
import type { PhaseSpan } from "../runner/run-load.ts";

export interface ProgressState {
  scenario: string;
  elapsedMs: number;
  phase: string;
  phaseLeftMs: number | null;
  runLeftMs: number | null;
  /** Completions in the last second. */
  ratePerS: number;
  /** Iterations completed since the load began. */
  completed: number;
  /** Worst op's p95 and pool-wait p95 in the last second. */
  p95Ms: number | null;
  poolWaitP95Ms: number | null;
  errors: number;
  actions: string[];
}

export interface ProgressInput {
  scenario: string;
  phases: PhaseSpan[];
  elapsedMs: number;
  perSecond: PerSecondLatency;
  completed: number;
  errors: number;
  actions: readonly string[];
}

export function progressState({
  scenario,
  phases,
  elapsedMs,
  perSecond,
  completed,
  errors,
  actions,
}: ProgressInput): ProgressState {
  const phase = phases.find((p) => elapsedMs < p.endMs) ?? phases.at(-1);
  const lastPhaseEnd = phases.at(-1)?.endMs ?? Number.POSITIVE_INFINITY;
  const ops = [...perSecond.ops.values()];
  // The worst op's figure in the last closed second; null before any completion.
  const worst = (pick: (s: OpSeconds) => (number | null)[]) => {
    const values = ops.map((s) => pick(s).at(-1) ?? null).filter((v): v is number => v !== null);
    return values.length > 0 ? Math.max(...values) : null;
  };
  return {
    scenario,
    elapsedMs,
    phase: phase?.name ?? "run",
    phaseLeftMs: phase && Number.isFinite(phase.endMs) ? phase.endMs - elapsedMs : null,
    runLeftMs: Number.isFinite(lastPhaseEnd) ? lastPhaseEnd - elapsedMs : null,
    ratePerS: ops.reduce((n, s) => n + (s.count.at(-1) ?? 0), 0),
    completed,
    p95Ms: worst((s) => s.p95Ms),
    poolWaitP95Ms: worst((s) => s.poolWaitP95Ms),
    errors,
    actions: [...actions],
  };
}
