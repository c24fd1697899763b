/**
 * Pure schedules. Arrival-rate executors are open-loop: iteration k is
 * intended to start when the cumulative arrivals N(t) reach k (k = 0, 1, ...),
 * so a constant rate r gives 0, 1/r, 2/r, ... Generated lazily, so a long
 * run needs no memory for its schedule.
 */

export interface RateStage {
  /** Iterations per millisecond at the end of the stage. */
  target: number;
  durationMs: number;
}

/** Intended start offsets (ms) for a rate ramping linearly through `stages` from `startRate` (per ms). */
export function* arrivalOffsets(startRate: number, stages: readonly RateStage[]): Generator<number> {
  let stageStart = 0;
  let rate = startRate;
  let before = 0; // arrivals due before this stage began (fractional)
  let k = 0;
  for (const stage of stages) {
    const { durationMs: d, target } = stage;
    const slope = d > 0 ? (target - rate) / (2 * d) : 0; // N(t) = rate·t + slope·t²
    const inStage = ((rate + target) / 2) * d;
    // The epsilon keeps an arrival that lands exactly on a stage's end from counting in both stages.
    while (k < before + inStage - 1e-9) {
      const need = k - before;
      // Stable root of slope·t² + rate·t − need = 0 (also when slope → 0 or < 0).
      const root = Math.sqrt(Math.max(0, rate * rate + 4 * slope * need));
      const t = need === 0 ? 0 : (2 * need) / (rate + root);
      if (!Number.isFinite(t) || t >= d) break;
      yield stageStart + t;
      k++;
    }
    before += inStage;
    stageStart += d;
    rate = target;
  }
}

export interface VuStep {
  atMs: number;
  vus: number;
}

export interface VuStage {
  target: number;
  durationMs: number;
}

/** Ramping VUs: the active VU count changes by one each time the linear ramp crosses an integer. */
export function vuSteps(startVUs: number, stages: readonly VuStage[]): VuStep[] {
  const steps: VuStep[] = [{ atMs: 0, vus: startVUs }];
  let at = 0;
  let from = startVUs;
  for (const { target, durationMs } of stages) {
    const direction = Math.sign(target - from);
    if (durationMs === 0) {
      if (direction !== 0) steps.push({ atMs: at, vus: target });
    } else {
      for (let v = from + direction; direction !== 0 && v !== target + direction; v += direction) {
        steps.push({ atMs: at + (durationMs * (v - from)) / (target - from), vus: v });
      }
    }
    at += durationMs;
    from = target;
  }
  return steps;
}
