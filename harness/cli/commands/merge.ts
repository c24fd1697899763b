/**
 * `rehearse merge <report.json...> --out <dir>`: the parts of one run split into segments (`rehearse run
 * --segment i/N --start-at <time>`, on several machines or pods) merged into one report, judged with the
 * scenario's budgets. Exit 0 passed, 99 failed or invalid (a missing or late part makes it invalid), 2 parts
 * that are not of one run.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { BadInputError } from "../../../core/errors.ts";
import { readReportFile } from "../../../reports/read-report.ts";
import { renderSummary } from "../../../reports/summary.ts";
import { writeReports } from "../../../reports/write-reports.ts";
import { checkParts, mergeParts } from "../../merge/merge-parts.ts";
import { loadScenario } from "../../scenario/load.ts";
import { type Outcome, outcomeOfRun } from "../exit-codes.ts";
import { parseCliArgs } from "../parse-args.ts";
import { type World, writeLine } from "../world.ts";

export const MERGE_HELP = `Usage: rehearse merge <report.json|dir...> --out <dir> [--scenario <file.ts>]

Merges the parts of one run (each written by rehearse run --segment i/N --start-at <time>) into one report:
iterations and errors added, histograms merged (p95 and p99 of all the parts' samples, not an average of
theirs), per-second series added on the run's clock, budgets, deltas and recoveries judged on the merged
data, the generator judged over every part. The actions and server signals are the conducting part's.
A directory stands for the report.json files under it (one level of <scenario>/).

A missing part or one whose load began later than the scenario's lag tolerance makes the run invalid; a
part given twice is merged once; all three are named in the report (merged.missing, .late, .overlapping).

Options:
  --out <dir>           where the merged report goes: <dir>/<scenario>/report.json and the rest (required)
  --scenario <file.ts>  the scenario the budgets are read from (default: the parts' scenarioFile, from here)

Exit codes: 0 passed, 99 failed or invalid, 2 parts of different runs or scenarios, or bad input.`;

/** A directory given for a part: its report.json, or its <scenario>/report.json files. */
function reportFiles(path: string): string[] {
  if (!existsSync(path) || !statSync(path).isDirectory()) return [path];
  const direct = join(path, "report.json");
  if (existsSync(direct)) return [direct];
  return readdirSync(path)
    .map((name) => join(path, name, "report.json"))
    .filter((file) => existsSync(file))
    .sort();
}

export async function mergeCommand(args: string[], world: World): Promise<Outcome> {
  const { values, positionals } = parseCliArgs({
    args,
    options: { out: { type: "string" }, scenario: { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  const problems: string[] = [];
  if (positionals.length === 0) problems.push("give the parts: rehearse merge <report.json...> --out <dir>");
  if (!values.out) problems.push("--out <dir>: required (the merged report is a run of its own)");
  if (problems.length > 0) throw new BadInputError("invalid options", problems);
  const files = positionals.flatMap(reportFiles);
  if (files.length === 0) throw new BadInputError("the parts", [`no report.json under ${positionals.join(", ")}`]);
  const parts = files.map((file) => ({ file, report: readReportFile(file) }));
  const checked = checkParts(parts);
  const [first] = checked;
  const scenarioFile = values.scenario ?? first?.report.scenarioFile ?? "";
  if (!existsSync(resolve(scenarioFile))) {
    throw new BadInputError("the scenario", [
      `the scenario ${scenarioFile} (the parts' scenarioFile) is not here: run merge where the parts ran, or give --scenario <file.ts>`,
    ]);
  }
  const scenario = await loadScenario(scenarioFile, first?.segment.durationScale ?? 1);
  const report = mergeParts(checked, scenario);
  const file = writeReports(values.out as string, report, undefined, world.env);
  writeLine(world.stdout, renderSummary(report));
  writeLine(world.stdout, `  report: ${file} (and report.html, report.md, junit.xml, findings.txt)`);
  return outcomeOfRun(report.status);
}
