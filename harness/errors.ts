/**
 * Error classes with exit codes, mapped to the process exit in one place
 * (harness/cli/main.ts). Deep code throws; it never calls process.exit.
 */

/** k6-compatible exit codes (see VISION.md, CLI contract). */
export const ExitCode = {
  ok: 0,
  internal: 1,
  badInput: 2,
  thresholdsFailed: 99,
  aborted: 105,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class RehearseError extends Error {
  readonly exitCode: ExitCode = ExitCode.internal;
}

/** A problem in what the user gave us: flags, target file, scenario. Nothing was started. */
export class BadInputError extends RehearseError {
  override readonly exitCode = ExitCode.badInput;
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
  override readonly exitCode = ExitCode.aborted;

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

export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof RehearseError ? error.exitCode : ExitCode.internal;
}
