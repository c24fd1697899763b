/**
 * The CLI entry: dispatches to a command and maps errors to exit codes in
 * this one place (deep code throws; it never calls process.exit).
 */
import { existsSync, readFileSync } from "node:fs";
import { RehearseError } from "../../core/errors.ts";
import { CAPACITY_HELP, capacityCommand } from "./commands/capacity.ts";
import { CLEAN_HELP, cleanCommand } from "./commands/clean.ts";
import { COMPARE_HELP, compareCommand } from "./commands/compare.ts";
import { INIT_HELP, initCommand } from "./commands/init.ts";
import { MERGE_HELP, mergeCommand } from "./commands/merge.ts";
import { REPORT_HELP, reportCommand } from "./commands/report.ts";
import { RUN_HELP, runCommand } from "./commands/run.ts";
import { UP_HELP, upCommand } from "./commands/up.ts";
import { exitCodeOf, type Outcome, outcomeOfError } from "./exit-codes.ts";
import { hintFor } from "./hints.ts";
import { didYouMean } from "./suggest.ts";
import { type World, writeLine } from "./world.ts";

export { processWorld } from "./world.ts";

const USAGE = `Usage: rehearse <command> [options]

Commands:
  run       run scenario scripts: stack, seed, load, thresholds, report.json
  capacity  find the highest arrival rate that meets the budgets, and what broke first
  up        start Postgres, PgBouncer and Redis; stay up until Ctrl-C
  clean     remove leftovers of earlier runs
  report    render a report.json again: html, md, junit, findings
  compare   compare two runs (or directories of runs); exit 99 on a regression
  merge     merge the parts of a run split into segments (run --segment) into one report
  init      write a scenario, a staging target and a nightly CI workflow into this repo
  help      show help for a command: rehearse help up

Exit codes: 0 ok, 1 internal failure, 2 bad input (nothing started),
99 thresholds failed, run invalid or regression found, 105 stopped by signal.`;

const COMMANDS: Record<string, { run: (args: string[], world: World) => Promise<Outcome>; help: string }> = {
  run: { run: runCommand, help: RUN_HELP },
  capacity: { run: capacityCommand, help: CAPACITY_HELP },
  up: { run: upCommand, help: UP_HELP },
  clean: { run: cleanCommand, help: CLEAN_HELP },
  report: { run: reportCommand, help: REPORT_HELP },
  compare: { run: compareCommand, help: COMPARE_HELP },
  merge: { run: mergeCommand, help: MERGE_HELP },
  init: { run: initCommand, help: INIT_HELP },
};

export async function main(argv: string[], world: World): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    const topic = command === "help" && rest[0] ? COMMANDS[rest[0]] : undefined;
    writeLine(world.stdout, topic ? topic.help : USAGE);
    return exitCodeOf("ok");
  }
  if (command === "--version" || command === "-v") {
    writeLine(world.stdout, version());
    return exitCodeOf("ok");
  }
  const entry = COMMANDS[command];
  if (!entry) {
    const hint = didYouMean(command, [...Object.keys(COMMANDS), "help"]);
    writeLine(world.stderr, `rehearse: unknown command '${command}'${hint}\n\n${USAGE}`);
    return exitCodeOf("bad-input");
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    writeLine(world.stdout, entry.help);
    return exitCodeOf("ok");
  }
  try {
    return exitCodeOf(await entry.run(rest, world));
  } catch (error) {
    const message = error instanceof RehearseError ? error.message : ((error as Error)?.stack ?? String(error));
    const hint = hintFor(error);
    writeLine(world.stderr, `rehearse ${command}: ${message}${hint ? `\n${hint}` : ""}`);
    return exitCodeOf(outcomeOfError(error));
  }
}

/** package.json is two levels up from the sources and three from their build in dist/. */
function version(): string {
  for (const up of ["../../package.json", "../../../package.json"]) {
    const url = new URL(up, import.meta.url);
    const pkg = existsSync(url) ? (JSON.parse(readFileSync(url, "utf8")) as { name?: string; version: string }) : null;
    if (pkg?.name === "rehearse") return pkg.version;
  }
  return "unknown";
}
