/** `rehearse report <report.json> [--format f] [--out file] [--compare base.json]`: re-render an old run. */

import { writeFileSync } from "node:fs";
import { BadInputError } from "../../../core/errors.ts";
import { type Comparison, incompatibilities } from "../../../reports/compare.ts";
import { readReportFile } from "../../../reports/read-report.ts";
import { FORMAT_NAMES, type FormatName, RENDERERS } from "../../../reports/render/registry.ts";
import { compareRuns } from "../../compare/compare-runs.ts";
import type { Outcome } from "../exit-codes.ts";
import { parseCliArgs } from "../parse-args.ts";
import { type World, writeLine } from "../world.ts";
import { readCompareFlags } from "./compare.ts";

export const REPORT_HELP = `Usage: rehearse report <report.json> [options]

Renders a run's report.json again, in any format.

Options:
  --format <name>      ${FORMAT_NAMES.join(" | ")} (default md)
  --out <file>         write there instead of stdout
  --compare <base.json>  include a comparison with an earlier run (--tolerance, --floor as for compare)`;

export async function reportCommand(args: string[], world: World): Promise<Outcome> {
  const { values, positionals } = parseCliArgs({
    args,
    options: {
      format: { type: "string" },
      out: { type: "string" },
      compare: { type: "string" },
      tolerance: { type: "string" },
      floor: { type: "string" },
    },
    allowPositionals: true,
    strict: true,
  });
  const problems: string[] = [];
  const format = (values.format ?? "md") as FormatName;
  if (!FORMAT_NAMES.includes(format)) problems.push(`--format: '${format}' is not one of ${FORMAT_NAMES.join(", ")}`);
  if (positionals.length !== 1) problems.push("exactly one report.json is required: rehearse report <report.json>");
  const options = readCompareFlags(values, problems);
  if (problems.length > 0) throw new BadInputError("invalid options", problems);
  const report = readReportFile(positionals[0] as string);
  let comparison: Comparison | undefined;
  if (values.compare) {
    const base = readReportFile(values.compare);
    const why = incompatibilities(base, report);
    if (why.length > 0) throw new BadInputError("--compare: the runs cannot be compared", why);
    comparison = compareRuns([base], [report], options);
  }
  const text = RENDERERS[format].render(report, comparison);
  if (values.out) writeFileSync(values.out, text);
  else world.stdout.write(text);
  if (values.out) writeLine(world.stderr, `rehearse report: wrote ${values.out}`);
  return "ok";
}
