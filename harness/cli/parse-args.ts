/** node:util parseArgs with its errors turned into bad input (exit 2), as every command needs. */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { BadInputError } from "../../core/errors.ts";

export function parseCliArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new BadInputError("invalid options", [(error as Error).message]);
  }
}
