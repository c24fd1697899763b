/**
 * The capacity search, independent of what a step runs: geometric steps up
 * from the start rate until a budget breaks, then bisection between the last
 * good and the first bad rate until the interval is within the precision. A
 * breach is repeated once before it is believed (a GC pause or a noisy
 * neighbour can fail one step) unless it missed its budget twice over (no
 * noise does that; repeating it would only spend minutes); a step the generator could not hold (or the
 * host, every core busy) stops the search, because its result would not be the system's.
 * Bounded in steps and time.
 */

export type StepVerdict = "passed" | "failed" | "generator-bound" | "host-bound";

export interface SearchLimits {
  /** The first rate tried (iterations/s, all ops together). */
  startRate: number;
  /** Never step above it. */
  maxRate: number;
  /** Stop bisecting when (bad − good) / good is within this share (0.05 = 5%). */
  precision: number;
  /** Geometric factor of the steps up. */
  factor: number;
  maxSteps: number;
  /** Wall-clock budget for the whole search. */
  maxTimeMs: number;
}

export const DEFAULT_LIMITS: Omit<SearchLimits, "startRate" | "maxRate"> = {
  precision: 0.05,
  factor: 2,
  maxSteps: 24,
  maxTimeMs: 30 * 60_000,
};

export interface SearchStep {
  rate: number;
  verdict: StepVerdict;
  /** This step repeated the previous one: to confirm a breach, or because the host was busy. */
  repeat: boolean;
}

export type SearchStatus = "found" | "generator-bound" | "host-bound" | "not-found" | "aborted";

export interface SearchResult {
  status: SearchStatus;
  /** The highest rate that met every budget (null: none did). */
  capacityRate: number | null;
  /** The lowest rate whose breach was confirmed (null: none broke up to maxRate). */
  firstFailingRate: number | null;
  steps: SearchStep[];
  /** Why the search stopped where it did, in words. */
  reason: string;
}

/** What a step says: its verdict, and for a failure whether it missed by so much (twice a budget) that
 * repeating it would only spend time. */
export interface StepOutcome {
  verdict: StepVerdict;
  clearBreach?: boolean;
}

/** Runs one step at a rate (`repeat`: again, to confirm a breach); the search never looks inside it. */
export type Probe = (rate: number, repeat: boolean) => Promise<StepVerdict | StepOutcome>;

const outcomeOf = (o: StepVerdict | StepOutcome): StepOutcome => (typeof o === "string" ? { verdict: o } : o);

export interface SearchClock {
  now(): number;
  aborted(): boolean;
}

const roundRate = (rate: number) => Math.round(rate * 10) / 10;

export async function searchCapacity(limits: SearchLimits, probe: Probe, clock: SearchClock): Promise<SearchResult> {
  const steps: SearchStep[] = [];
  const started = clock.now();
  let good: number | null = null;
  let bad: number | null = null;
  const result = (status: SearchStatus, reason: string): SearchResult => ({
    status,
    capacityRate: good,
    firstFailingRate: bad,
    steps,
    reason,
  });
  const outOfBudget = () => {
    if (steps.length >= limits.maxSteps) return `the step limit (${limits.maxSteps}) was reached`;
    if (clock.now() - started >= limits.maxTimeMs) return `the time limit (${limits.maxTimeMs / 1000} s) was reached`;
    return null;
  };
  /**
   * One step, and its repeat when it failed (a breach is believed when it repeats) or when the host was busy
   * (something else on it for a while, a neighbour's burst, is not yet the host's limit: once more, then the
   * repeat's verdict stands, a failure confirmed as any other). `stop` when the search must end (limit, signal).
   */
  const judge = async (rate: number, afterHostBusy = false): Promise<StepVerdict | { stop: SearchResult }> => {
    const { verdict, clearBreach } = outcomeOf(await probe(rate, afterHostBusy));
    steps.push({ rate, verdict, repeat: afterHostBusy });
    if (clock.aborted()) return { stop: result("aborted", "stopped by a signal") };
    const retryHost = verdict === "host-bound" && !afterHostBusy;
    if (!retryHost && (verdict !== "failed" || clearBreach)) return verdict;
    const limit = outOfBudget();
    if (limit)
      return { stop: result(good === null ? "not-found" : "found", `${limit} before a breach could be confirmed`) };
    if (retryHost) return judge(rate, true);
    const again = outcomeOf(await probe(rate, true)).verdict;
    steps.push({ rate, verdict: again, repeat: true });
    if (clock.aborted()) return { stop: result("aborted", "stopped by a signal") };
    // A breach that does not repeat was noise: the rate held.
    return again;
  };
  /** A step whose verdict would not be the system's: the search stops, and says whose limit it was. */
  const unjudgeable = (rate: number, verdict: StepVerdict) =>
    verdict === "host-bound"
      ? result(
          "host-bound",
          `every core of this machine was busy at ${rate}/s (rehearse, the servers and the app share it): the host, not the system, was the limit`,
        )
      : result(
          "generator-bound",
          `the generator could not hold ${rate}/s on this machine; the system was not the limit`,
        );
  const stops = (v: StepVerdict) => v === "generator-bound" || v === "host-bound";

  // Up: geometric steps until a confirmed breach.
  let rate = roundRate(Math.min(limits.startRate, limits.maxRate));
  for (;;) {
    const limit = outOfBudget();
    if (limit) return result(good === null ? "not-found" : "found", limit);
    const verdict = await judge(rate);
    if (typeof verdict === "object") return verdict.stop;
    if (stops(verdict)) return unjudgeable(rate, verdict);
    if (verdict === "failed") {
      bad = rate;
      break;
    }
    good = rate;
    if (rate >= limits.maxRate) return result("not-found", `every budget held up to --max ${limits.maxRate}/s`);
    rate = roundRate(Math.min(rate * limits.factor, limits.maxRate));
  }
  // Down from a failing start: halve until a rate holds (or give up below 1/s).
  while (good === null) {
    rate = roundRate(rate / limits.factor);
    if (rate < 1) return result("not-found", "no rate of 1/s or more met every budget");
    const limit = outOfBudget();
    if (limit) return result("not-found", limit);
    const verdict = await judge(rate);
    if (typeof verdict === "object") return verdict.stop;
    if (stops(verdict)) return unjudgeable(rate, verdict);
    if (verdict === "failed") bad = rate;
    else good = rate;
  }
  // Bisection between the last good and the first bad rate.
  while (bad !== null && (bad - good) / good > limits.precision) {
    const limit = outOfBudget();
    if (limit)
      return result("found", `${limit}; the capacity is known to within ${Math.round(((bad - good) / good) * 100)}%`);
    rate = roundRate((good + bad) / 2);
    if (rate <= good || rate >= bad) break;
    const verdict = await judge(rate);
    if (typeof verdict === "object") return verdict.stop;
    if (stops(verdict)) return unjudgeable(rate, verdict);
    if (verdict === "failed") bad = rate;
    else good = rate;
  }
  return result(
    "found",
    `between ${good}/s (held) and ${bad}/s (broke), within ${Math.round(limits.precision * 100)}%`,
  );
}
