/**
 * `rehearse run <scenario.ts...>`: every scenario file is loaded and
 * validated before anything starts; then each runs on its own stack and
 * writes <out>/<scenario>/report.json. Exit 0 when all passed, 99 when a
 * threshold failed or a run was invalid, 105 when stopped by a signal.
 */
import { rmSync } from "node:fs";
import type { StackSettings } from "../../../containers/index.ts";
import { AbortedError, BadInputError } from "../../../core/errors.ts";
import { type Comparison, incompatibilities } from "../../../reports/compare.ts";
import { readReportFile } from "../../../reports/read-report.ts";
import { renderComparisonText } from "../../../reports/render/comparison.ts";
import type { RunReport } from "../../../reports/schema.ts";
import { renderSummary } from "../../../reports/summary.ts";
import { reportDir, writeReports } from "../../../reports/write-reports.ts";
import { compareRuns } from "../../compare/compare-runs.ts";
import { segmentLabel } from "../../executors/segment.ts";
import { abortedBeforeLoad } from "../../run/build-report.ts";
import { externalPlan, externalPlanLines } from "../../run/external-plan.ts";
import { runScenario } from "../../run/run-scenario.ts";
import type { SegmentRun } from "../../run/segment-run.ts";
import { type LoadedScenario, loadScenario } from "../../scenario/load.ts";
import { reachProblems } from "../../scenario/reach.ts";
import { type Outcome, outcomeOfRun, worstOf } from "../exit-codes.ts";
import { parseCliArgs } from "../parse-args.ts";
import { Progress } from "../progress.ts";
import { openRunSession } from "../run-session.ts";
import { readSegmentFlags, SEGMENT_FLAGS_HELP, SEGMENT_OPTIONS, segmentScenarioProblems } from "../segment-flags.ts";
import {
  logLevelHelp,
  readStackFlags,
  STACK_FLAGS_HELP,
  STACK_OPTIONS,
  settingsFor,
  stackRequest,
} from "../stack-flags.ts";
import { applyTestcontainersDefaults } from "../testcontainers-env.ts";
import {
  readWorkersFlag,
  resolveWorkers,
  WORKERS_FLAG_HELP,
  WORKERS_OPTIONS,
  workersLine,
  workersProblems,
} from "../workers-flag.ts";
import { type World, writeLine } from "../world.ts";
import { readCompareFlags } from "./compare.ts";

/** Runs of one scenario in one invocation: enough for a run-to-run spread, bounded. */
const MAX_REPEAT = 20;

export const RUN_HELP = `Usage: rehearse run <scenario.ts...> [options]

Runs each scenario on its own stack: start, seed, load, thresholds, report.

Options:
  --out <dir>              where reports go: <dir>/<scenario>/report.json, report.html, report.md,
                           junit.xml, findings.txt (default rehearse-out); logs: <dir>/rehearse.log
  --duration-scale <x>     multiply every duration in the scenarios (CI short, capacity long)
  --repeat <n>             run each scenario n times (1–${MAX_REPEAT}, default 1): run 1 writes <dir>/<scenario>/,
                           run k <dir>/<scenario>/repeat-<k>/; compare merges them and measures their spread
  --compare <base.json>    compare with an earlier run of the scenario (all repeats merged); exit 99 on a regression
  --tolerance <pct>        with --compare: relative tolerance (default 20)
  --floor <ms>             with --compare: absolute noise floor (default 5)
  --no-progress            no live progress (a line redrawn on a TTY, else one every 5 s)
${WORKERS_FLAG_HELP}
${SEGMENT_FLAGS_HELP}
${STACK_FLAGS_HELP}
${logLevelHelp("default: info, to <out>/rehearse.log, not stderr")}
  (Stack flags and $REHEARSE_* override the scenario's stack block, which overrides the defaults.)`;

export async function runCommand(args: string[], world: World): Promise<Outcome> {
  const { values, positionals } = parseOrThrow(args);
  const problems: string[] = [];
  const flags = readStackFlags(values, world.env, problems);
  const scale = Number(values["duration-scale"] ?? 1);
  if (!(scale > 0) || !Number.isFinite(scale))
    problems.push(`--duration-scale: '${values["duration-scale"]}' is not a positive number`);
  if (positionals.length === 0) problems.push("a scenario file is required: rehearse run <scenario.ts>");
  const repeat = Number(values.repeat ?? 1);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT)
    problems.push(`--repeat: '${values.repeat}' is not a whole number from 1 to ${MAX_REPEAT}`);
  const compareOptions = readCompareFlags(values, problems);
  const part = readSegmentFlags(values, positionals, problems);
  const workersFlag = readWorkersFlag(values.workers, problems);
  if (problems.length > 0) throw new BadInputError("invalid options", problems);
  const base = values.compare ? readReportFile(values.compare) : undefined;

  // Every scenario is validated before anything starts.
  const loaded: LoadedScenario[] = [];
  for (const file of positionals) loaded.push(await loadScenario(file, scale));
  // A load-only part refuses what its conducting part will refuse (the same scenario on the same target):
  // no part runs a share of a run that cannot happen.
  for (const s of loaded) {
    const problems = [
      ...reachProblems(s, flags.target),
      ...(flags.target ? externalPlan(s, flags.target).problems : []),
      ...(part ? segmentScenarioProblems(s, part, flags) : []),
      ...workersProblems(s, resolveWorkers(workersFlag, flags.target !== undefined).count, part?.segment.count ?? 1),
    ];
    if (problems.length > 0)
      throw new BadInputError(
        flags.target ? `scenario ${s.file} on the external target ${flags.targetFile}` : `scenario ${s.file}`,
        problems,
      );
  }
  // Only the conducting part seeds and acts: N parts seeding one database would race each other.
  const scenarios = loaded.map((s) => (part?.loadOnly ? { ...s, seedScale: 0, seedFn: undefined, actions: [] } : s));
  if (base && !scenarios.some((s) => s.name === base.scenario)) {
    throw new BadInputError(`--compare ${values.compare}`, [
      `it is a run of '${base.scenario}'; this run has ${scenarios.map((s) => `'${s.name}'`).join(", ")}`,
    ]);
  }
  const workers = resolveWorkers(workersFlag, flags.target !== undefined);
  const settings = new Map(scenarios.map((s) => [s, settingsFor(s, flags)]));
  if ([...settings.values()].some((s) => s.containers.network === "host")) applyTestcontainersDefaults(world.env);
  const session = openRunSession({
    command: "run",
    onSignalSays: "writing the report",
    flags,
    out: values.out,
    logLevelGiven: values["log-level"] !== undefined,
    world,
  });
  const { out, log, signal } = session;
  const progress = values["no-progress"] ? undefined : new Progress(world.stdout);
  let outcome: Outcome = "ok";
  try {
    for (const scenario of scenarios) {
      const reports: RunReport[] = [];
      // An earlier invocation's repeats would be read as this one's by compare.
      for (let k = 2; k <= MAX_REPEAT; k++) rmSync(reportDir(out, scenario.name, k), { recursive: true, force: true });
      for (let k = 1; k <= repeat && !signal.aborted; k++) {
        writeLine(world.stdout, workersLine(scenario.name, workers));
        if (flags.target) for (const line of externalPlanLines(scenario, flags.target)) writeLine(world.stdout, line);
        if (repeat > 1) writeLine(world.stdout, `rehearse run: ${scenario.name}: run ${k} of ${repeat}`);
        if (part) writeLine(world.stdout, partLine(scenario.name, part));
        const startedAt = new Date().toISOString();
        const report = await runScenario(scenario, {
          stack: stackRequest(flags, settings.get(scenario) as StackSettings, world, signal),
          signal: signal,
          warn: (message) => log.warn(message),
          logDir: reportDir(out, scenario.name, k),
          env: world.env,
          onProgress: progress ? (state) => progress.update(state) : undefined,
          onStage: progress ? (text) => progress.stage(scenario.name, text) : undefined,
          part,
          durationScale: scale,
          workers: workers.count,
        }).catch((error: unknown) => {
          // Stopped during start-up or seeding: there are no numbers, but there is a report.
          if (error instanceof AbortedError) {
            return abortedBeforeLoad(scenario, flags.targetFile ? "external" : flags.provider, startedAt);
          }
          throw error;
        });
        progress?.done();
        reports.push(report);
        // With --compare, the step summary gets the first run's Markdown once, with the comparison in it.
        const file = writeReports(out, report, undefined, base && k === 1 ? {} : world.env, k);
        log.info({ scenario: report.scenario, status: report.status, file }, "report written");
        writeLine(world.stdout, renderSummary(report));
        writeLine(world.stdout, `  report: ${file} (and report.html, report.md, junit.xml, findings.txt)`);
        // A part's verdict is the merged run's: it exits 0 once it ran (its status is in its report).
        outcome = worstOf(outcome, part && report.status !== "aborted" ? "ok" : outcomeOfRun(report.status));
      }
      const first = reports[0];
      if (base && first && base.scenario === first.scenario && !signal.aborted) {
        const why = [...new Set(reports.flatMap((r) => incompatibilities(base, r)))];
        if (why.length > 0) {
          writeLine(world.stderr, `rehearse run: --compare: the runs cannot be compared:\n  ${why.join("\n  ")}`);
          outcome = worstOf(outcome, "bad-input");
        } else {
          const comparison: Comparison = compareRuns([base], reports, compareOptions);
          // The first run's folder carries the comparison (comparison.json, and in its Markdown, HTML, JUnit).
          writeReports(out, first, comparison, world.env, 1);
          writeLine(world.stdout, renderComparisonText(comparison));
          if (comparison.regressions.length > 0) outcome = worstOf(outcome, "failed");
        }
      }
    }
  } finally {
    session.close();
  }
  return outcome;
}

function partLine(name: string, part: SegmentRun): string {
  const role = part.loadOnly ? "load only" : "conducts the actions and the sampler";
  return `rehearse run: ${name}: segment ${segmentLabel(part.segment)} (${role}); its load starts ${part.startAtEpochMs === undefined ? "once it is ready" : `at ${new Date(part.startAtEpochMs).toISOString()}`}`;
}

function parseOrThrow(args: string[]) {
  return parseCliArgs({
    args,
    options: {
      ...STACK_OPTIONS,
      ...SEGMENT_OPTIONS,
      ...WORKERS_OPTIONS,
      out: { type: "string" },
      "duration-scale": { type: "string" },
      compare: { type: "string" },
      repeat: { type: "string" },
      tolerance: { type: "string" },
      floor: { type: "string" },
      "no-progress": { type: "boolean" },
    },
    allowPositionals: true,
    strict: true,
  });
}
