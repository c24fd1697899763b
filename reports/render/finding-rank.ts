/**
 * How findings are ordered: by tier first — what a reader must know before the
 * rest — then by weight within the tier (how far a value moved).
 */
export const TIER = {
  /** A service or the app died on its own. */
  crash: 7,
  /** The baseline was not a baseline: every delta depends on it. */
  baseline: 6,
  /** A user-facing op failed at or beyond the error budget. */
  errors: 5,
  /** The rehearsal did not happen as written. */
  actionFailed: 4,
  /** A fault's measured cause and its effect on users. */
  cause: 3,
  /** A user-facing op slowed, or a server saturated. */
  latency: 2,
  /** Background ops, noise on the host, faults with no measurable effect. */
  context: 1,
} as const;

export function rank(tier: number, weight: number): number {
  return tier * 1e9 + Math.max(0, Math.min(weight, 1e9 - 1));
}
