/**
 * `rehearse compare <base> <new> [--tolerance pct] [--floor ms]`: two
 * report.json files, or two directories (accepted baselines, new runs) paired
 * by scenario as a nightly job needs. Exit 99 with a table of what regressed,
 * 0 when nothing did, 2 when the runs cannot be compared (different scenarios
 * or settings, an aborted run).
 */

import { statSync } from "node:fs";
import { BadInputError } from "../../../core/errors.ts";
import {
  type CompareOptions,
  type Comparison,
  compareReports,
  DEFAULT_COMPARE,
  incompatibilities,
} from "../../../reports/compare.ts";
import { compareSuite, type SuiteComparison } from "../../../reports/compare-suite.ts";
import { readReportDir, readReportFile } from "../../../reports/read-report.ts";
import type { Outcome } from "../exit-codes.ts";
import { parseCliArgs } from "../parse-args.ts";
import { type World, writeLine } from "../world.ts";

export const COMPARE_HELP = `Usage: rehearse compare <base.json> <new.json> [options]
       rehearse compare <baselines-dir> <runs-dir> [options]

Compares runs of the same scenario per phase and op: latency p95/p99 and
pool-wait p95. A regression exceeds both the tolerance and the floor.

With directories, every report (*.json) found in them is paired by scenario:
the newest accepted run in <baselines-dir> is the base. When several accepted
runs of a scenario disagree (an op's baseline-phase p95 varies by more than
the tolerance), compare says the machine is noisy and judges that scenario
with the measured spread: changes within it are noise, not regressions. A
scenario with no accepted run is listed, not failed.

Options:
  --tolerance <pct>    relative tolerance (default ${DEFAULT_COMPARE.tolerancePct})
  --floor <ms>         absolute noise floor: smaller changes never regress (default ${DEFAULT_COMPARE.floorMs})

Exit codes: 0 no regression, 99 regression, 2 runs that cannot be compared or bad input.`;

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
    const suite = compareSuite(readReportDir(from), readReportDir(to), options);
    writeLine(world.stdout, renderSuite(suite, from, to));
    if (suite.incompatible.length > 0)
      throw new BadInputError(
        "runs that cannot be compared",
        suite.incompatible.map((i) => `${i.scenario}: ${i.reasons.join("; ")}`),
      );
    return suite.regressions > 0 ? "failed" : "ok";
  }
  const base = readReportFile(positionals[0] as string);
  const next = readReportFile(positionals[1] as string);
  const why = incompatibilities(base, next);
  if (why.length > 0) throw new BadInputError("the runs cannot be compared", why);
  const comparison = compareReports(base, next, options);
  writeLine(world.stdout, renderComparison(comparison));
  return comparison.regressions.length > 0 ? "failed" : "ok";
}

/** The console table: regressions first, in words a CI log reader scans. */
export function renderComparison(c: Comparison): string {
  const head = `rehearse compare: ${c.baseScenario}: ${c.regressions.length} regression(s) in ${c.rows.length} checks (tolerance ${c.options.tolerancePct}%, floor ${c.options.floorMs} ms)`;
  const lines = [head];
  if (c.regressions.length > 0) {
    lines.push("  phase        op            metric          base ms    new ms     Δ ms       Δ %");
    for (const r of c.regressions) {
      lines.push(
        `  ${r.phase.padEnd(12)} ${r.op.padEnd(13)} ${r.metric.padEnd(15)} ${String(r.baseMs).padEnd(10)} ${String(r.newMs).padEnd(10)} ${`+${r.deltaMs}`.padEnd(10)} ${r.deltaPct === null ? "new" : `+${r.deltaPct}%`}`,
      );
    }
  }
  const noise = c.rows.filter((r) => r.withinNoise);
  if (noise.length > 0)
    lines.push(
      `  within the noise (${c.options.noisePct}%): ${noise.map((r) => `${r.op} ${r.metric} in ${r.phase} +${r.deltaPct}%`).join(", ")}`,
    );
  for (const u of c.unmatched) lines.push(`  note: ${u}`);
  return lines.join("\n");
}

function renderSuite(suite: SuiteComparison, from: string, to: string): string {
  const lines = [
    `rehearse compare: ${suite.scenarios.length} scenario(s) of ${to} against ${from}: ${suite.regressions} regression(s)`,
  ];
  for (const s of suite.scenarios) {
    lines.push(renderComparison(s.comparison));
    if (s.noise === null) lines.push("  noise: unknown (one accepted run; keep several to tell noise from regression)");
    else if (s.noisy)
      lines.push(
        `  noisy: ${s.noise.op}'s baseline-phase p95 varied ${s.noise.lowMs}–${s.noise.highMs} ms (${s.noise.spreadPct}%) over ${s.noise.runs} accepted runs, more than the tolerance; judged with ${s.noise.spreadPct}%`,
      );
    else lines.push(`  noise: within the tolerance over ${s.baselines} accepted runs (widest ${s.noise.spreadPct}%)`);
  }
  for (const name of suite.withoutBaseline)
    lines.push(`rehearse compare: ${name}: no accepted baseline in ${from} (accept one: copy its report.json there)`);
  return lines.join("\n");
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
