/**
 * Loads a scenario script from any path and any kind of repository (see
 * import-scenario.ts) and validates all of it, reporting every problem with
 * the file and field, before any server starts.
 */
import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import { checkStackOverrides, type StackOverrides } from "../../containers/settings.ts";
import { formatDuration, parseDuration } from "../../core/duration.ts";
import { BadInputError } from "../../core/errors.ts";
import { type PlannedAction, planActions } from "../actions/timeline.ts";
import { type AppSpec, readApp } from "../app/app-spec.ts";
import { type Db, type DbSettings, DEFAULT_DB_SETTINGS } from "../clients/db.ts";
import type { Op } from "../clients/op-context.ts";
import { type Executor, type ExecutorSpec, loadDurationMs } from "../executors/index.ts";
import { DEFAULT_STABLE_FOR_S } from "../run/deltas.ts";
import { DEFAULT_TOLERANCE } from "../runner/generator-health.ts";
import { type PhaseSpan, planLoad } from "../runner/run-load.ts";
import { type ParsedThreshold, parseThresholds } from "../thresholds/parse.ts";
import { judgedThresholds } from "./budgets.ts";
import type { ScenarioDefinition } from "./define.ts";
import { scaleDurations } from "./duration-scale.ts";
import { describeImportError } from "./import-error.ts";
import { importScenarioFile } from "./import-scenario.ts";
import { scenarioOps, seedScaleOf } from "./scenario-ops.ts";

export interface LoadedScenario {
  name: string;
  /** Offsets from the load's start, in ms. */
  phases: PhaseSpan[];
  baseline: string;
  /** Seconds an op must stay back within its baseline band to count as recovered. */
  recoveryStableForS: number;
  actions: PlannedAction[];
  file: string;
  /** The `stack` block, checked; merged with the defaults and the flags by the CLI (settingsFor). */
  stack: StackOverrides;
  seedScale: number;
  ops: Record<string, Op>;
  executors: Executor[];
  thresholds: ParsedThreshold[];
  client: DbSettings;
  cachePrefix: string;
  /** The app under test, when the scenario has one. */
  app: AppSpec | undefined;
  /** The scenario's own seeding function (instead of, or besides, the reference workload's). */
  seedFn: ((context: { db: Db }) => Promise<unknown>) | undefined;
  /** How late an iteration may start before it counts against the generator (see generatorTolerance). */
  lagToleranceMs: number;
  /** Set where the executors are not the file's (a capacity step): what a load worker, which loads the file
   * itself, builds them from. */
  executorSpecs?: ExecutorSpec[];
}

export async function loadScenario(file: string, durationScale: number): Promise<LoadedScenario> {
  const path = resolve(file);
  if (!existsSync(path)) throw new BadInputError(`scenario ${file}`, ["file does not exist"]);
  let module: { default?: unknown };
  try {
    module = await importScenarioFile(path);
  } catch (error) {
    throw new BadInputError(`scenario ${file}`, [`cannot be loaded: ${describeImportError(error, path)}`]);
  }
  const definition = module.default as ScenarioDefinition | undefined;
  if (!definition || typeof definition !== "object") {
    throw new BadInputError(`scenario ${file}`, ["must `export default defineScenario({...})`"]);
  }
  return validate(definition, path, file, durationScale);
}

function validate(d: ScenarioDefinition, path: string, file: string, durationScale: number): LoadedScenario {
  const problems: string[] = [];
  const workload = d.workload ?? {};
  if (!d.workload) problems.push("workload: is required ({ reference: 'saas' } or { ops: {...} })");
  if (workload.reference !== undefined && workload.reference !== "saas") {
    problems.push(`workload.reference: '${String(workload.reference)}' is not a built-in workload (saas)`);
  }
  const seedFn = typeof d.seed === "function" ? d.seed : undefined;
  if (d.seed !== undefined && !seedFn && (typeof d.seed !== "object" || d.seed === null))
    problems.push("seed: must be { scale } (the reference workload) or async ({ db }) => { ... }");
  const seedScale = seedScaleOf(d.seed);
  if (!Number.isInteger(seedScale) || seedScale < 0) problems.push("seed.scale: must be a whole number ≥ 0");
  if (workload.reference === "saas" && seedScale === 0)
    problems.push("seed.scale: the saas workload needs seeded data");
  const ops = scenarioOps(d);
  for (const [name, op] of Object.entries(ops))
    if (typeof op !== "function") problems.push(`workload.ops.${name}: must be a function`);
  const ttl = workload.cacheTtlSeconds;
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0))
    problems.push("workload.cacheTtlSeconds: must be a whole number > 0");
  const client = { ...DEFAULT_DB_SETTINGS, ...workload.client };
  if (!Number.isInteger(client.poolSize) || client.poolSize < 1)
    problems.push("workload.client.poolSize: must be a whole number ≥ 1");

  const scenarios = Object.fromEntries(
    Object.entries(d.scenarios ?? {}).map(([name, options]) => [
      name,
      scaleDurations(options as unknown as Record<string, unknown>, durationScale),
    ]),
  );
  let executors: Executor[] = [];
  try {
    executors = planLoad(scenarios, ops, file);
  } catch (error) {
    if (!(error instanceof BadInputError)) throw error;
    problems.push(...error.problems);
  }
  const phases = readPhases(d, durationScale, problems);
  const baseline = d.baseline ?? phases[0]?.name ?? "run";
  if (!phases.some((p) => p.name === baseline)) problems.push(`baseline: no phase named '${baseline}'`);
  problems.push(...checkStackOverrides(d.stack, "stack"));
  const app = readApp(d.app, path, problems);
  const recoveryStableForS = readRecovery(d, problems);
  const actions = planActions(d.actions, durationScale, problems, { ops: Object.keys(ops), app: app !== undefined });
  problems.push(...timeProblems(executors, phases, actions));
  const thresholds = parseThresholds(d.thresholds ?? {}, { ops: Object.keys(ops), phases: phases.map((p) => p.name) });
  problems.push(...thresholds.problems);
  const judged = judgedThresholds({
    thresholds: thresholds.thresholds,
    phases,
    baseline,
    ops: [...new Set(executors.map((e) => e.exec))],
  });
  if (problems.length > 0) throw new BadInputError(`scenario ${file}`, problems);
  return {
    name: d.name ?? basename(path).replace(/\.[cm]?[jt]s$/, ""),
    phases,
    baseline,
    recoveryStableForS,
    actions,
    file: path,
    stack: d.stack ?? {},
    seedScale,
    ops,
    executors,
    thresholds: judged,
    client,
    cachePrefix: workload.cachePrefix ?? "rehearse:",
    app,
    seedFn,
    lagToleranceMs: lagTolerance(judged),
  };
}

/**
 * An iteration starting late adds its lag to the latency measured for it (never the other way): a lag within a
 * tenth of the tightest latency budget cannot turn a verdict, so only later starts count against the
 * generator's validity. At least 10 ms, the generator's own floor.
 */
export function lagTolerance(thresholds: ParsedThreshold[]): number {
  const bounds = thresholds
    .filter((t) => (t.metric === "latency" || t.metric === "http_req_duration") && t.operator.startsWith("<"))
    .filter((t) => t.aggregation === "p(N)" || t.aggregation === "avg" || t.aggregation === "med")
    .map((t) => t.value);
  return Math.max(DEFAULT_TOLERANCE.dispatchLagMs, bounds.length > 0 ? Math.min(...bounds) * 0.1 : 0);
}

/** Phases and actions must fit the load: a phase without load, or a fault after it, rehearses nothing. */
function timeProblems(executors: Executor[], phases: PhaseSpan[], actions: PlannedAction[]): string[] {
  if (executors.length === 0) return [];
  const loadMs = loadDurationMs(executors);
  const problems: string[] = [];
  const last = phases.at(-1);
  // 1 ms of slack: scaled durations are sums of products.
  if (last && Number.isFinite(last.endMs) && last.endMs > loadMs + 1) {
    problems.push(
      `phases: they last ${formatDuration(last.endMs)} but the load lasts ${formatDuration(loadMs)} (phase '${last.name}' would have no load); shorten the phases or lengthen the scenarios`,
    );
  }
  for (const a of actions) {
    if (a.atMs >= loadMs)
      problems.push(
        `${a.where}.at: ${formatDuration(a.atMs)} is not before the load ends (at ${formatDuration(loadMs)})`,
      );
  }
  return problems;
}

function readPhases(d: ScenarioDefinition, scale: number, problems: string[]): PhaseSpan[] {
  if (d.phases === undefined) return [{ name: "run", startMs: 0, endMs: Number.POSITIVE_INFINITY }];
  if (!Array.isArray(d.phases) || d.phases.length === 0) {
    problems.push("phases: must be a non-empty list of { name, duration }");
    return [];
  }
  const spans: PhaseSpan[] = [];
  let at = 0;
  d.phases.forEach((phase, i) => {
    const name = phase?.name;
    if (typeof name !== "string" || !/^[A-Za-z0-9_-]+$/.test(name)) {
      problems.push(`phases[${i}].name: must be letters, digits, _ or - (got ${JSON.stringify(name)})`);
    } else if (spans.some((s) => s.name === name)) {
      problems.push(`phases[${i}].name: '${name}' is used twice`);
    }
    const ms = parseDuration(phase?.duration);
    if (typeof ms === "string" || ms <= 0) {
      problems.push(`phases[${i}].duration: ${typeof ms === "string" ? ms : "must be longer than 0"}`);
      return;
    }
    spans.push({ name: String(name), startMs: at, endMs: at + ms * scale });
    at += ms * scale;
  });
  return spans;
}

function readRecovery(d: ScenarioDefinition, problems: string[]): number {
  const r = (d.recovery ?? {}) as Record<string, unknown>;
  for (const gone of ["tolerance", "floorMs"])
    if (r[gone] !== undefined)
      problems.push(
        `recovery.${gone}: no longer used: an op's band is what its own baseline makes likely a second (see the README's "Recovery and refill")`,
      );
  for (const key of Object.keys(r).filter((k) => !["stableFor", "tolerance", "floorMs"].includes(k)))
    problems.push(`recovery.${key}: unknown field (expected stableFor)`);
  const stableFor = parseDuration(r.stableFor ?? `${DEFAULT_STABLE_FOR_S}s`);
  if (typeof stableFor === "string") {
    problems.push(`recovery.stableFor: ${stableFor}`);
    return DEFAULT_STABLE_FOR_S;
  }
  return Math.max(1, Math.round(stableFor / 1000));
}
