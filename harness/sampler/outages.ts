/**
 * A service that stopped answering, as the sampler sees it: its probe failed
 * (or was still waiting) on `confirmAfter` consecutive ticks. The outage runs
 * from the first missed tick until the first answer again (`toMs` null: it
 * never came back). Pure: the sampler tells it what each tick saw.
 */
import type { ServiceName } from "../../containers/types.ts";

export interface Outage {
  service: ServiceName;
  /** ms on the run's clock. */
  fromMs: number;
  toMs: number | null;
  /** The probe's first error, e.g. "connect ECONNREFUSED 127.0.0.1:5432". */
  reason: string;
}

export class OutageTracker {
  readonly outages: Outage[] = [];
  private readonly confirmAfter: number;
  private readonly missing = new Map<ServiceName, { since: number; misses: number; reason: string; open?: Outage }>();

  // Three: a probe can miss a second or two on a loaded 2-core machine (a backup, CPU steal) without
  // the server having stopped; a dead one misses every second.
  constructor(confirmAfter = 3) {
    this.confirmAfter = confirmAfter;
  }

  answered(service: ServiceName, tMs: number): void {
    const state = this.missing.get(service);
    if (state?.open) state.open.toMs = tMs;
    this.missing.delete(service);
  }

  missed(service: ServiceName, tMs: number, reason: string): void {
    const state = this.missing.get(service) ?? { since: tMs, misses: 0, reason };
    state.misses++;
    if (state.misses >= this.confirmAfter && !state.open) {
      state.open = { service, fromMs: state.since, toMs: null, reason: state.reason };
      this.outages.push(state.open);
    }
    this.missing.set(service, state);
  }
}
