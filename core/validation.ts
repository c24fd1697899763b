/**
 * The one idiom for checking input: a zod schema whose `safeParse` yields the
 * typed value or every problem, worded once here, and the problems as the
 * lines every bad-input message uses (`field.path: what is wrong`).
 */
import { z } from "zod";
import { parseDuration } from "./duration.ts";

export interface DescribeOptions {
  /** How an unknown key is called: "field" in a file's blocks, "option" in an action's options. */
  unknown?: string;
}

export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix = "",
  options: DescribeOptions = {},
): string[] {
  const at = (path: readonly PropertyKey[]) =>
    [prefix, ...path.map(String)].filter((part) => part !== "").join(".") || "(value)";
  return issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => `${at([...issue.path, key])}: unknown ${options.unknown ?? "field"}`)
      : [`${at(issue.path)}: ${issue.message}`],
  );
}

/** The typed value, or every problem worded as above. */
export function parseWith<T>(
  schema: z.ZodType<T>,
  value: unknown,
  prefix: string,
  options?: DescribeOptions,
): { ok: true; value: T } | { ok: false; problems: string[] } {
  const parsed = schema.safeParse(value);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, problems: describeIssues(parsed.error.issues, prefix, options) };
}

const shown = (input: unknown) => (input === undefined ? "" : ` (got ${JSON.stringify(input)})`);

/** A whole number in a range: "must be a whole number 1–500 (got 0)". */
export const wholeNumber = (min: number, max: number) => {
  const range = Number.isFinite(max) ? `${min}–${max}` : `≥ ${min}`;
  const error = (issue: { input?: unknown }) => `must be a whole number ${range}${shown(issue.input)}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};

/** One of a few words: '"bogus" is not one of session, transaction, statement'. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (issue) => `${JSON.stringify(issue.input)} is not one of ${values.join(", ")}` });

/** A k6 duration ("30s", "1m30s", "500ms", or ms as a number), as milliseconds. */
export const duration = () =>
  z.union([z.string(), z.number()], { error: (issue) => String(parseDuration(issue.input)) }).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (typeof ms === "string") {
      ctx.addIssue({ code: "custom", message: ms });
      return z.NEVER;
    }
    return ms;
  });

/** A boolean option: "must be true or false". */
export const flag = () => z.boolean({ error: (issue) => `must be true or false${shown(issue.input)}` });
