/** node:util parseArgs with its errors turned into bad input (exit 2) in our own words, as every command needs. */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { BadInputError } from "../../core/errors.ts";
import { didYouMean } from "./suggest.ts";

export function parseCliArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new BadInputError("invalid options", [describe(error as Error & { code?: string }, config)]);
  }
}

function describe(error: Error & { code?: string }, config: ParseArgsConfig): string {
  const known = Object.keys(config.options ?? {}).map((name) => `--${name}`);
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const typed = /'([^']+)'/.exec(error.message)?.[1] ?? "";
    const name = typed.split("=")[0] ?? typed;
    const hint = didYouMean(name, known);
    return `unknown option '${name}'${hint || `; options: ${known.join(", ")}`}`;
  }
  if (error.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const typed = /'([^']+)'/.exec(error.message)?.[1] ?? "";
    return `unexpected argument '${typed}': this command takes options only`;
  }
  if (error.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const flag = /'(--[a-z-]+)/.exec(error.message)?.[1] ?? "an option";
    // A value that starts with a dash (a negative number) must be attached: --pool-size=-3.
    return /ambiguous/.test(error.message)
      ? `${flag}: a value starting with '-' must be written ${flag}=<value>`
      : `${flag}: needs a value (${flag} <value>)`;
  }
  return error.message;
}
