/**
 * Error classes with codes. Deep code throws; it never calls process.exit:
 * the CLI maps a code to the process exit in one table (harness/cli/exit-codes.ts).
 */

/** What went wrong, as the exit-code table knows it. */
export type ErrorCode = "internal" | "bad-input" | "aborted";

export class RehearseError extends Error {
  readonly code: ErrorCode = "internal";
}

/** A problem in what the user gave us: flags, target file, scenario. Nothing was started. */
export class BadInputError extends RehearseError {
  override readonly code = "bad-input";
  readonly problems: string[];

  constructor(source: string, problems: string[]) {
    super(`${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "BadInputError";
    this.problems = problems;
  }
}

/** A service could not be started; names the service and the cause. */
export class StackStartError extends RehearseError {
  readonly service: string;

  constructor(service: string, reason: string, options?: ErrorOptions) {
    super(`${service} failed to start: ${reason}`, options);
    this.name = "StackStartError";
    this.service = service;
  }
}

/** The operation was stopped by a signal (or an AbortSignal). */
export class AbortedError extends RehearseError {
  override readonly code = "aborted";

  constructor(message = "aborted") {
    super(message);
    this.name = "AbortedError";
  }
}

/** An operation the chosen provider cannot perform (e.g. restart on an external target). */
export class UnsupportedOperationError extends RehearseError {
  constructor(provider: string, operation: string, hint: string) {
    super(`${operation} is not supported by the ${provider} provider: ${hint}`);
    this.name = "UnsupportedOperationError";
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function errorCodeOf(error: unknown): ErrorCode {
  return error instanceof RehearseError ? error.code : "internal";
}
