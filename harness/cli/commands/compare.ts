/**
 * `rehearse compare <base> <new> [--tolerance pct] [--floor ms]`: two
 * report.json files, or two directories (accepted baselines, new runs) paired
 * by scenario as a nightly job needs. Exit 99 with a table of what regressed,
 * 0 when nothing did, 2 when the runs cannot be compared (different scenarios
 * or settings, an aborted run).
 */

import { statSync } from "node:fs";
import { BadInputError } from "../../../core/errors.ts";
import { type CompareOptions, DEFAULT_COMPARE, incompatibilities, RATE_FLOOR_PCT } from "../../../reports/compare.ts";
import { readReportDir, readReportFile } from "../../../reports/read-report.ts";
import { renderComparisonText } from "../../../reports/render/comparison.ts";
import { compareRuns } from "../../compare/compare-runs.ts";
import { compareSuite, MAX_BASELINES, type SuiteComparison } from "../../compare/compare-suite.ts";
import type { Outcome } from "../exit-codes.ts";
import { parseCliArgs } from "../parse-args.ts";
import { type World, writeLine } from "../world.ts";

export const COMPARE_HELP = `Usage: rehearse compare <base.json> <new.json> [options]
       rehearse compare <baselines-dir> <runs-dir> [options]

Compares runs of the same scenario per measured phase and op: latency p50,
p95 and p99, pool-wait p95 and error rate, each with its 95% interval from
the runs' own histograms. A regression is a new interval above the base's by
more than the tolerance, the floor and the run-to-run noise; too few samples
for a value (a p99 needs 100) is "not judged"; a phase during which other
programs were busy on a run's host is "disturbed", not judged either.

With directories, reports (*.json) are grouped by scenario: the newest
${MAX_BASELINES} accepted runs in <baselines-dir> are the base (their histograms merged,
their spread the noise), every run of it in <runs-dir> the new side (several
from run --repeat: merged, their spread noise too). A scenario with no
accepted run is listed, not failed; a baselined scenario with no new run
fails; a <runs-dir> with no report is bad input.

Options:
  --tolerance <pct>    relative tolerance (default ${DEFAULT_COMPARE.tolerancePct})
  --floor <ms>         absolute floor for latency and pool wait (default ${DEFAULT_COMPARE.floorMs}; error rates: ${RATE_FLOOR_PCT} points)

Exit codes: 0 no regression, 99 regression or a baselined scenario not run, 2 runs that cannot be compared or bad input.`;

export function readCompareFlags(values: { tolerance?: string; floor?: string }, problems: string[]): CompareOptions {
  const number = (flag: string, raw: string | undefined, fallback: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) problems.push(`--${flag}: '${raw}' is not a non-negative number`);
    return n;
  };
  return {
    tolerancePct: number("tolerance", values.tolerance, DEFAULT_COMPARE.tolerancePct),
    floorMs: number("floor", values.floor, DEFAULT_COMPARE.floorMs),
  };
}

export async function compareCommand(args: string[], world: World): Promise<Outcome> {
  const { values, positionals } = parseCliArgs({
    args,
    options: { tolerance: { type: "string" }, floor: { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  const problems: string[] = [];
  const options = readCompareFlags(values, problems);
  if (positionals.length !== 2)
    problems.push("two reports or two directories are required: rehearse compare <base.json> <new.json>");
  if (problems.length > 0) throw new BadInputError("invalid options", problems);
  const [from, to] = positionals as [string, string];
  if (isDirectory(from) || isDirectory(to)) {
    if (!isDirectory(from) || !isDirectory(to))
      throw new BadInputError("invalid options", [
        `compare two files or two directories, not one of each ('${from}', '${to}')`,
      ]);
    const runs = readReportDir(to);
    if (runs.length === 0)
      throw new BadInputError("nothing to compare", [
        `${to}: no run report in it (report.json, four levels deep): did the runs write there?`,
      ]);
    const suite = compareSuite(readReportDir(from), runs, options);
    writeLine(world.stdout, renderSuite(suite, from, to));
    if (suite.incompatible.length > 0)
      throw new BadInputError(
        "runs that cannot be compared",
        suite.incompatible.map((i) => `${i.scenario}: ${i.reasons.join("; ")}`),
      );
    return suite.regressions > 0 || suite.missingRuns.length > 0 ? "failed" : "ok";
  }
  const base = readReportFile(positionals[0] as string);
  const next = readReportFile(positionals[1] as string);
  const why = incompatibilities(base, next);
  if (why.length > 0) throw new BadInputError("the runs cannot be compared", why);
  const comparison = compareRuns([base], [next], options);
  writeLine(world.stdout, renderComparisonText(comparison));
  return comparison.regressions.length > 0 ? "failed" : "ok";
}

function renderSuite(suite: SuiteComparison, from: string, to: string): string {
  const lines = [
    `rehearse compare: ${suite.scenarios.length} scenario(s) of ${to} against ${from}: ${suite.regressions} regression(s)${suite.missingRuns.length > 0 ? `, ${suite.missingRuns.length} baselined scenario(s) not run` : ""}`,
  ];
  for (const s of suite.scenarios) {
    lines.push(renderComparisonText(s.comparison));
    if (s.used < s.baselines)
      lines.push(`  base: the newest ${s.used} of ${s.baselines} accepted runs comparable with the newest`);
  }
  for (const name of suite.withoutBaseline)
    lines.push(`rehearse compare: ${name}: no accepted baseline in ${from} (accept one: copy its report.json there)`);
  for (const name of suite.missingRuns)
    lines.push(
      `rehearse compare: ${name}: baselined in ${from} but no run of it in ${to}: nothing was compared for it (FAILED)`,
    );
  return lines.join("\n");
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
