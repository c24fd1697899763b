/** Writes every format for one run under <out>/<scenario>/ (a repeat under <out>/<scenario>/repeat-<k>/), and the
 * Markdown to $GITHUB_STEP_SUMMARY when set. */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Comparison } from "./compare.ts";
import { RENDERERS } from "./render/registry.ts";
import type { RunReport } from "./schema.ts";

export function writeReports(
  out: string,
  report: RunReport,
  comparison: Comparison | undefined,
  env: Record<string, string | undefined>,
  repeat = 1,
): string {
  const dir = reportDir(out, report.scenario, repeat);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "report.json");
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  if (comparison) writeFileSync(join(dir, "comparison.json"), `${JSON.stringify(comparison, null, 2)}\n`);
  for (const [name, renderer] of Object.entries(RENDERERS)) {
    const text = renderer.render(report, comparison);
    writeFileSync(join(dir, renderer.file), text);
    if (name === "md" && env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, text);
  }
  return file;
}

/** Where run `repeat` (1-based) of a scenario writes: the first where one run would, later ones beside it. */
export function reportDir(out: string, scenario: string, repeat = 1): string {
  return repeat <= 1 ? join(out, scenario) : join(out, scenario, `repeat-${repeat}`);
}
