/**
 * A stack rehearse does not own (a staging target) is never written to without
 * an explicit opt-in in its target file: the app's setup commands (migrations,
 * seeds), seeding, and starting the scenario's app against it each need one.
 * Checked before anything starts (bad input, every problem named), and what
 * the run will change there is said in its first lines, before it changes it.
 */
import type { Target } from "../../containers/index.ts";
import { externalProblems } from "../actions/timeline.ts";
import type { LoadedScenario } from "../scenario/load.ts";

export interface ExternalPlan {
  problems: string[];
  /** What the run will do to the target, one line each. */
  changes: string[];
}

const at = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function externalPlan(scenario: LoadedScenario, target: Target): ExternalPlan {
  const problems = externalProblems(scenario.actions);
  const changes: string[] = [];
  const name = target.name;
  if (scenario.seedScale > 0) {
    if (!target.allow.seed)
      problems.push(
        `seed: the reference workload's seeding TRUNCATEs and refills tables of ${name}: set "allowSeed": true in the target file to let it rewrite that database`,
      );
    else
      changes.push(
        `seed: TRUNCATE and refill the reference workload's tables (scale ${scenario.seedScale}), allowed by allowSeed`,
      );
  }
  if (scenario.seedFn) {
    if (!target.allow.seed)
      problems.push(
        `seed: the scenario's seed function would run against ${name} and write there: set "allowSeed": true in the target file to let it`,
      );
    else changes.push("seed: run the scenario's seed function against it, allowed by allowSeed");
  }
  const app = scenario.app;
  if (app && target.app?.baseUrl) {
    changes.push(`the app: the one at ${target.app.baseUrl}; the scenario's app block (and its setup) is not used`);
  } else if (app) {
    if (!target.allow.app) {
      problems.push(
        `app: the scenario would start its app ('${app.command}') here, against ${name}'s databases: give the target file "app": { "baseUrl": ... } to rehearse the staging app, or "allowApp": true to start this one against staging`,
      );
    } else
      changes.push(
        `the app: start '${app.command}' here (${app.instances} instance(s)) against it, allowed by allowApp`,
      );
    app.setup.forEach((command, i) => {
      if (!target.allow.setup)
        problems.push(
          `app.setup[${i}]: '${command}' would run against ${name} (setup commands write: migrations, seeds): set "allowSetup": true in the target file to let them`,
        );
      else changes.push(`setup: run '${command}' against it, allowed by allowSetup`);
    });
  }
  for (const a of scenario.actions)
    changes.push(
      `${a.name} at ${at(a.atMs)}${a.durationMs ? ` for ${at(a.durationMs)}` : ""}${a.action.describe ? ` (${a.action.describe})` : ""}`,
    );
  return { problems, changes };
}

/** The run's first lines on an external target: what it will change there, before it does. */
export function externalPlanLines(scenario: LoadedScenario, target: Target): string[] {
  const { changes } = externalPlan(scenario, target);
  const head = `rehearse: ${scenario.name} on the external target ${target.name}: this run will`;
  if (changes.length === 0)
    return [`${head} change nothing there (it sends its traffic and reads the servers' signals)`];
  return [
    `${head}:`,
    ...changes.map((c) => `  - ${c}`),
    "  and nothing else (besides its traffic and reading the servers' signals)",
  ];
}
