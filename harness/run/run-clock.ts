/**
 * One clock for a run. Everything on the report is a whole number of ms from
 * `originMs` (when the sampler starts); the load starts at a whole-ms offset
 * from it, so a phase boundary and an action scheduled at the same load
 * offset land on the same number, by construction (not by a tolerance).
 */
export class RunClock {
  /** performance.now() at the run's origin. */
  readonly originMs: number;
  /** The load's start, in whole ms from the origin. */
  readonly loadStartMs: number;

  constructor(leadMs: number, now: () => number = () => performance.now()) {
    this.now = now;
    this.originMs = now();
    this.loadStartMs = Math.ceil(leadMs);
  }

  private readonly now: () => number;

  /** performance.now() at which the load starts: what the executors and the action timeline wait for. */
  get loadStartAt(): number {
    return this.originMs + this.loadStartMs;
  }

  /** ms from the origin, now, rounded. */
  elapsed(): number {
    return Math.round(this.now() - this.originMs);
  }

  /** A performance.now() instant on the report's clock. */
  elapsedAt(t: number): number {
    return Math.round(t - this.originMs);
  }

  /** A load offset (a phase boundary, an action's `at`) on the report's clock. */
  atLoadOffset(offsetMs: number): number {
    return Math.round(this.loadStartMs + offsetMs);
  }

  /** performance.now() of a load offset: when something scheduled there is due. */
  dueAt(offsetMs: number): number {
    return this.loadStartAt + offsetMs;
  }
}
