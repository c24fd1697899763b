/** zod issues as the problem lines every bad-input message uses: `field.path: what is wrong`. */
import type { z } from "zod";

export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix = ""): string[] {
  const at = (path: readonly PropertyKey[]) =>
    [prefix, ...path.map(String)].filter((part) => part !== "").join(".") || "(value)";
  return issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => `${at([...issue.path, key])}: unknown field`)
      : [`${at(issue.path)}: ${issue.message}`],
  );
}
