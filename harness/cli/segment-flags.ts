/**
 * `rehearse run --segment i/N --start-at <time> [--load-only]`: one process runs one share of a run that
 * several processes (machines, Job pods, matrix jobs) drive together from one start instant.
 */
import { parseSegment, segmentLabel, segmentProblems } from "../executors/segment.ts";
import { type SegmentRun, startAtProblem } from "../run/segment-run.ts";
import type { LoadedScenario } from "../scenario/load.ts";
import type { StackFlags } from "./stack-flags.ts";

export const SEGMENT_OPTIONS = {
  segment: { type: "string" },
  "start-at": { type: "string" },
  "load-only": { type: "boolean" },
} as const;

export const SEGMENT_FLAGS_HELP = `  --segment <i/N>          run segment i of N equal, interleaved shares of every executor (k6's execution
                           segments); every part writes a partial report for \`rehearse merge\`
  --start-at <ISO time>    with --segment: the wall-clock instant every part's load starts at (waits for
                           it; refused when already past by more than 1 s)
  --load-only              with --segment: no actions, no sampler (default for every segment but 1, which
                           conducts them)`;

interface SegmentValues {
  segment?: string | undefined;
  "start-at"?: string | undefined;
  "load-only"?: boolean | undefined;
  repeat?: string | undefined;
  compare?: string | undefined;
}

/** The part this process runs, or undefined for a whole run; problems are pushed (exit 2 before anything). */
export function readSegmentFlags(values: SegmentValues, files: string[], problems: string[]): SegmentRun | undefined {
  if (values.segment === undefined) {
    for (const flag of ["start-at", "load-only"] as const)
      if (values[flag] !== undefined) problems.push(`--${flag}: only with --segment i/N`);
    return undefined;
  }
  const segment = parseSegment(values.segment);
  if (typeof segment === "string") {
    problems.push(`--segment: ${segment}`);
    return undefined;
  }
  const before = problems.length;
  const startAt = values["start-at"];
  let startAtEpochMs: number | undefined;
  if (startAt === undefined) {
    if (segment.count > 1) problems.push("--segment: needs --start-at <ISO time>: the parts' loads start together");
  } else {
    // Only a full ISO 8601 time with its zone: a bare date or local time means something else on each machine.
    startAtEpochMs = /T.*(Z|[+-]\d\d:?\d\d)$/.test(startAt) ? Date.parse(startAt) : Number.NaN;
    const why = startAtProblem(startAtEpochMs);
    if (why) problems.push(`--start-at: '${startAt}' ${why}${Number.isNaN(startAtEpochMs) ? ", with its zone" : ""}`);
  }
  if (files.length > 1) problems.push("--segment: one scenario per part (a part is one share of one run)");
  if (values.repeat !== undefined && values.repeat !== "1") problems.push("--segment: not with --repeat");
  if (values.compare !== undefined) problems.push("--segment: not with --compare (compare the merged report)");
  if (problems.length > before) return undefined;
  return { segment, startAtEpochMs, loadOnly: values["load-only"] === true || segment.index > 1 };
}

/** What a scenario and target must hold for its parts to drive one system together. */
export function segmentScenarioProblems(scenario: LoadedScenario, part: SegmentRun, flags: StackFlags): string[] {
  const problems = segmentProblems(scenario.executors, part.segment.count);
  if (part.segment.count > 1 && !flags.target) {
    problems.push(
      `--segment ${segmentLabel(part.segment)}: the parts of one run drive one system: give every part the same --target (a staging stack, or one \`rehearse up\` started)`,
    );
  }
  if (part.segment.count > 1 && scenario.app && !flags.target?.app?.baseUrl) {
    problems.push(
      `--segment ${segmentLabel(part.segment)}: the scenario has an app, and each part would start its own: give the target an app.baseUrl`,
    );
  }
  return problems;
}
