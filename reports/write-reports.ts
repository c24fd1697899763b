/** Writes every format for one run under <out>/<scenario>/, and the Markdown to $GITHUB_STEP_SUMMARY when set. */
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
): string {
  const dir = join(out, report.scenario);
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
