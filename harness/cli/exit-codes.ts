/**
 * The one table from an outcome to the process exit code (k6-compatible where
 * k6 has one). Commands return an outcome, errors carry a code; only main.ts
 * turns either into a number.
 */
import { type ErrorCode, errorCodeOf } from "../../core/errors.ts";

export type Outcome = "ok" | ErrorCode | "failed";

/** 99: thresholds failed, a run invalid or failed, or a regression found (k6's ThresholdsHaveFailed). */
const EXIT_CODES: Record<Outcome, number> = {
  ok: 0,
  internal: 1,
  "bad-input": 2,
  failed: 99,
  aborted: 105,
};

export function exitCodeOf(outcome: Outcome): number {
  return EXIT_CODES[outcome];
}

export function outcomeOfError(error: unknown): Outcome {
  return errorCodeOf(error);
}

export function outcomeOfRun(status: "passed" | "failed" | "invalid" | "aborted"): Outcome {
  return status === "passed" ? "ok" : status === "aborted" ? "aborted" : "failed";
}

/** Of several runs' outcomes, the one the process reports: the highest exit code. */
export function worstOf(...outcomes: Outcome[]): Outcome {
  return outcomes.reduce((worst, o) => (EXIT_CODES[o] > EXIT_CODES[worst] ? o : worst), "ok");
}
