/**
 * `rehearse capacity <scenario.ts>`: the highest arrival rate that meets the
 * budgets, and what broke first. Everything is checked before anything
 * starts; a signal writes the partial result, marked aborted (exit 105).
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDuration } from "../../../core/duration.ts";
import { BadInputError } from "../../../core/errors.ts";
import { renderCapacityHtml } from "../../../reports/capacity/html.ts";
import {
  capacityHeld,
  renderCapacityConsole,
  renderCapacityJunit,
  renderCapacityMarkdown,
} from "../../../reports/capacity/render.ts";
import type { CapacityReport, CapacityStep } from "../../../reports/capacity/schema.ts";
import { type CapacityPlan, runCapacity } from "../../capacity/run-capacity.ts";
import { DEFAULT_LIMITS } from "../../capacity/search.ts";
import { readBudgetFlag, stepBudgets, trafficMix } from "../../capacity/step-scenario.ts";
import { externalPlan } from "../../run/external-plan.ts";
import { loadScenario } from "../../scenario/load.ts";
import { reachProblems } from "../../scenario/reach.ts";
import type { Outcome } from "../exit-codes.ts";
import { parseCliArgs } from "../parse-args.ts";
import { openRunSession } from "../run-session.ts";
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

export const CAPACITY_HELP = `Usage: rehearse capacity <scenario.ts> [options]

Finds the highest arrival rate that meets the budgets on one warm stack: steps
up geometrically (×2) until a budget breaks (a breach is repeated once before
it is believed), then bisects to the precision. The scenario's arrival-rate
scenarios are scaled together (its mix is kept); closed-loop ones (workers)
run beside every step at their peak VUs, unscaled; its actions are not run.
Budgets are judged on each step's steady window, after its warm-up.

Options:
  --budget <[metric=]expr>  a budget in k6's grammar (repeatable): "p(95)<300" is latency on every
                            user-facing op; "errors=rate<0.02", "latency{op:search}=p(99)<800".
                            Given budgets replace the defaults of their metric
                            (default: p(95)<300 on every user-facing op, errors rate<0.01)
  --op <name>               judge latency budgets on this op only (the mix still runs)
  --start <rate>            first rate, iterations/s in all (default: the scenario's own total)
  --max <rate>              never step above it (default: 64 × start)
  --step-duration <d>       each step's length (default 20s)
  --warmup <d>              the start of each step that is not judged (default: 25% of a step, at most 5s)
  --precision <pct>         stop bisecting within this (default 5%)
  --target-rate <rate>      the CI gate: exit 99 unless this rate meets every budget; JUnit has a case
                            per budget at it (the search starts there unless --start is given)
  --max-steps <n>           at most this many steps (default ${DEFAULT_LIMITS.maxSteps})
  --max-time <d>            at most this long in all (default 30m)
  --out <dir>               <dir>/<scenario>/capacity.json, capacity.md, capacity.html,
                            capacity-junit.xml (default rehearse-out)
  --no-progress             no line per step
${WORKERS_FLAG_HELP}
${STACK_FLAGS_HELP}
${logLevelHelp("default: info, to <out>/rehearse.log, not stderr")}

Exit codes: 0 a capacity was found (and --target-rate met), 99 the target rate failed, no rate met the
budgets, or the generator was the limit, 2 bad input, 105 stopped by a signal (partial result written).`;

const OPTIONS = {
  ...STACK_OPTIONS,
  budget: { type: "string", multiple: true },
  op: { type: "string" },
  start: { type: "string" },
  max: { type: "string" },
  "step-duration": { type: "string" },
  warmup: { type: "string" },
  precision: { type: "string" },
  "target-rate": { type: "string" },
  "max-steps": { type: "string" },
  "max-time": { type: "string" },
  out: { type: "string" },
  "no-progress": { type: "boolean" },
  ...WORKERS_OPTIONS,
} as const;

export async function capacityCommand(args: string[], world: World): Promise<Outcome> {
  const { values, positionals } = parseCliArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  const problems: string[] = [];
  const flags = readStackFlags(values, world.env, problems);
  const positive = (flag: keyof typeof OPTIONS, raw: string | undefined) => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) problems.push(`--${flag}: '${raw}' is not a positive number`);
    return n;
  };
  const duration = (flag: keyof typeof OPTIONS, raw: string | undefined) => {
    if (raw === undefined) return undefined;
    const ms = parseDuration(raw);
    if (typeof ms === "string") problems.push(`--${flag}: ${ms}`);
    else if (ms <= 0) problems.push(`--${flag}: '${raw}' must be longer than 0`);
    return typeof ms === "number" ? ms : undefined;
  };
  const start = positive("start", values.start);
  const max = positive("max", values.max);
  const targetRate = positive("target-rate", values["target-rate"]) ?? null;
  const maxSteps = positive("max-steps", values["max-steps"]);
  if (maxSteps !== undefined && !Number.isInteger(maxSteps)) problems.push("--max-steps: must be a whole number");
  const stepMs = duration("step-duration", values["step-duration"]) ?? 20_000;
  if (stepMs < 2_000) problems.push(`--step-duration: '${values["step-duration"]}' is shorter than 2s`);
  const warmupMs = duration("warmup", values.warmup) ?? Math.min(5_000, Math.round(stepMs / 4));
  if (warmupMs >= stepMs) problems.push("--warmup: must be shorter than --step-duration");
  const maxTimeMs = duration("max-time", values["max-time"]) ?? DEFAULT_LIMITS.maxTimeMs;
  const precisionRaw = values.precision ?? "5%";
  const precision = Number(precisionRaw.replace(/%$/, "")) / 100;
  if (!(precision > 0 && precision <= 0.5)) problems.push(`--precision: '${precisionRaw}' must be between 0 and 50%`);
  if (max !== undefined && start !== undefined && max < start) problems.push("--max: must be at least --start");
  if (positionals.length !== 1) problems.push("one scenario file is required: rehearse capacity <scenario.ts>");
  const given = (values.budget ?? []).map(readBudgetFlag);
  const workers = resolveWorkers(readWorkersFlag(values.workers, problems), flags.target !== undefined);
  if (problems.length > 0) throw new BadInputError("invalid options", problems);

  const scenario = await loadScenario(positionals[0] as string, 1);
  const { mix, background, totalRate, problems: mixProblems } = trafficMix(scenario);
  const ops = [...new Set(mix.map((m) => m.op))];
  if (values.op !== undefined && !ops.includes(values.op))
    mixProblems.push(`--op: '${values.op}' is not an op the scenario's arrival-rate scenarios run (${ops.join(", ")})`);
  const budgets = stepBudgets(given, ops, values.op);
  mixProblems.push(...budgets.problems.map((p) => `--budget ${p}`));
  // Capacity runs no actions: on a target only what writes there (seed, setup, the app) needs its opt-in.
  mixProblems.push(...reachProblems(scenario, flags.target));
  if (flags.target) mixProblems.push(...externalPlan({ ...scenario, actions: [] }, flags.target).problems);
  mixProblems.push(...workersProblems(scenario, workers.count, 1));
  if (mixProblems.length > 0) throw new BadInputError(`scenario ${scenario.file} for capacity`, mixProblems);
  const settings = settingsFor(scenario, flags);
  if (settings.containers.network === "host") applyTestcontainersDefaults(world.env);

  const startRate = start ?? targetRate ?? Math.max(1, Math.round(totalRate));
  const plan: CapacityPlan = {
    scenario,
    mix,
    background,
    budgets: budgets.budgets,
    thresholds: budgets.thresholds,
    limits: {
      ...DEFAULT_LIMITS,
      startRate,
      maxRate: max ?? startRate * 64,
      precision,
      maxSteps: maxSteps ?? DEFAULT_LIMITS.maxSteps,
      maxTimeMs,
    },
    shape: { stepMs, warmupMs },
    targetRate,
    poolSize: settings.pgbouncer.defaultPoolSize,
    poolMode: settings.pgbouncer.poolMode,
  };

  const session = openRunSession({
    command: "capacity",
    onSignalSays: "writing what was found",
    flags,
    out: values.out,
    logLevelGiven: values["log-level"] !== undefined,
    world,
  });
  const { out, log, signal } = session;
  try {
    writeLine(world.stdout, workersLine(scenario.name, workers, "capacity"));
    const report = await runCapacity(plan, {
      stack: stackRequest(flags, settings, world, signal),
      signal: signal,
      warn: (message) => log.warn(message),
      logDir: join(out, scenario.name),
      env: world.env,
      workers: workers.count,
      ...(!values["no-progress"] && { onStep: (step: CapacityStep) => writeLine(world.stdout, stepLine(step, ops)) }),
    });
    if (signal.aborted) report.status = "aborted";
    const dir = writeCapacityReports(out, report, world.env);
    writeLine(world.stdout, renderCapacityConsole(report));
    writeLine(
      world.stdout,
      `  report: ${join(dir, "capacity.json")} (and capacity.html, capacity.md, capacity-junit.xml)`,
    );
    return capacityOutcome(report);
  } finally {
    session.close();
  }
}

function stepLine(s: CapacityStep, scaled: string[]): string {
  const worst = s.ops.filter((o) => scaled.includes(o.op)).sort((a, b) => b.p95Ms - a.p95Ms)[0];
  return `  step ${s.rate}/s${s.repeat ? " (again)" : ""}: ${s.verdict}${worst ? `, ${worst.op} p95 ${worst.p95Ms} ms` : ""}, errors ${(s.errorRate * 100).toFixed(2)}%, PgBouncer queued ≤ ${s.poolWait.clWaitingMax ?? "?"}`;
}

export function capacityOutcome(r: CapacityReport): Outcome {
  if (r.status === "aborted") return "aborted";
  if (r.targetRate !== null) return r.targetMet ? "ok" : "failed";
  // A search the generator or the host stopped found the test set-up's limit, not the system's: not a pass.
  return capacityHeld(r) ? "ok" : "failed";
}

/** Every format under <out>/<scenario>/, and the Markdown to $GITHUB_STEP_SUMMARY when set (as `run` does). */
function writeCapacityReports(out: string, report: CapacityReport, env: Record<string, string | undefined>): string {
  const dir = join(out, report.scenario);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "capacity.json"), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = renderCapacityMarkdown(report);
  writeFileSync(join(dir, "capacity.md"), markdown);
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, markdown);
  writeFileSync(join(dir, "capacity.html"), renderCapacityHtml(report));
  writeFileSync(join(dir, "capacity-junit.xml"), renderCapacityJunit(report));
  return dir;
}
