/**
 * A capacity step as a scenario of its own: the base scenario's open-loop
 * (arrival-rate) scenarios as constant arrivals at their share of the step's
 * total rate (the mix is kept), its closed-loop ones (background workers) as
 * their peak VUs throughout, unscaled; a warm-up phase and a steady window in
 * which the budgets are judged; no actions (capacity rehearses traffic, not
 * faults).
 */
import type { CapacityBudget } from "../../reports/capacity/schema.ts";
import { isBackgroundOp } from "../../reports/schema.ts";
import { createExecutor, type ExecutorSpec } from "../executors/index.ts";
import { judgedThresholds, LAUNCH_READINESS } from "../scenario/budgets.ts";
import { type LoadedScenario, lagTolerance } from "../scenario/load.ts";
import { type ParsedThreshold, parseThresholds } from "../thresholds/parse.ts";

export const STEP_PHASES = { warmup: "warmup", steady: "steady" } as const;
/** In-flight iterations get this long after a step's schedule; later ones are interrupted (failed). */
const STEP_GRACEFUL_STOP = "5s";
/** Enough VUs for the rate × this many seconds of latency before arrivals are dropped. */
const VU_HEADROOM_S = 5;
const MAX_VUS = 20_000;

export interface MixEntry {
  scenario: string;
  op: string;
  share: number;
  preAllocatedVUs: number;
  maxVUs: number;
  tags: Record<string, string>;
}

/** Closed-loop scenarios run beside the scaled traffic at their peak VUs, unscaled. */
export interface BackgroundEntry {
  scenario: string;
  op: string;
  vus: number;
}

/** The open-loop scenarios and their shares of the planned rate (problems when there are none), and the
 * closed-loop ones that run unscaled beside them. */
export function trafficMix(scenario: LoadedScenario): {
  mix: MixEntry[];
  background: BackgroundEntry[];
  /** The scenario's own planned rate of the open-loop scenarios together (iterations/s). */
  totalRate: number;
  problems: string[];
} {
  const open = scenario.executors.flatMap((e) => {
    const plan = e.plan();
    return plan.kind === "open" ? [{ e, plan }] : [];
  });
  const background = scenario.executors.flatMap((e) => {
    const plan = e.plan();
    return plan.kind === "closed"
      ? [{ scenario: e.scenario, op: e.exec, vus: Math.max(1, ...plan.vuSteps.map((s) => s.vus)) }]
      : [];
  });
  const problems: string[] = [];
  if (open.length === 0)
    problems.push(
      "scenarios: capacity scales arrival rates; this scenario has no constant-arrival-rate or ramping-arrival-rate scenario (closed-loop VUs have no rate to scale)",
    );
  const total = open.reduce((n, { plan }) => n + plan.targetRatePerSec, 0);
  const mix = open.map(({ e, plan }) => ({
    scenario: e.scenario,
    op: e.exec,
    share: total > 0 ? plan.targetRatePerSec / total : 0,
    preAllocatedVUs: plan.preAllocatedVUs,
    maxVUs: plan.maxVUs,
    tags: e.tags,
  }));
  return { mix, background, totalRate: total, problems };
}

export interface StepShape {
  stepMs: number;
  warmupMs: number;
}

/** A step's VUs for one scaled scenario: its own maxVUs, or 5 s of its rate, at most MAX_VUS. */
export function stepMaxVUs(perSec: number, scenarioMaxVUs: number): number {
  return Math.min(MAX_VUS, Math.max(scenarioMaxVUs, Math.ceil(perSec * VU_HEADROOM_S)));
}

/** The step at `rate` (total iterations/s). Rates are given per 10 s, so a small share keeps 0.1/s. */
export function stepScenario(
  base: LoadedScenario,
  { mix, background }: { mix: MixEntry[]; background: BackgroundEntry[] },
  rate: number,
  shape: StepShape,
  budgets: ParsedThreshold[],
): LoadedScenario {
  const specs: ExecutorSpec[] = [
    ...mix.map((m) => {
      const perSec = rate * m.share;
      const maxVUs = stepMaxVUs(perSec, m.maxVUs);
      return {
        scenario: m.scenario,
        options: {
          executor: "constant-arrival-rate",
          exec: m.op,
          rate: Math.max(1, Math.round(perSec * 10)),
          timeUnit: "10s",
          duration: `${shape.stepMs}ms`,
          preAllocatedVUs: Math.min(maxVUs, Math.max(m.preAllocatedVUs, Math.ceil(perSec * 0.05))),
          maxVUs,
          gracefulStop: STEP_GRACEFUL_STOP,
          ...(Object.keys(m.tags).length > 0 && { tags: m.tags }),
        },
      };
    }),
    ...background.map((b) => ({
      scenario: b.scenario,
      options: {
        executor: "constant-vus",
        exec: b.op,
        vus: b.vus,
        duration: `${shape.stepMs}ms`,
        gracefulStop: STEP_GRACEFUL_STOP,
      },
    })),
  ];
  const phases = [
    { name: STEP_PHASES.warmup, startMs: 0, endMs: shape.warmupMs },
    { name: STEP_PHASES.steady, startMs: shape.warmupMs, endMs: shape.stepMs },
  ];
  const ops = [...new Set([...mix, ...background].map((m) => m.op))];
  return {
    ...base,
    executors: specs.map((spec) => executorOf(spec, rate)),
    // A load worker loads the file, whose executors these are not: it builds them from the specs.
    executorSpecs: specs,
    phases,
    baseline: STEP_PHASES.steady,
    actions: [],
    // Judged per op like a run's budgets; the step's budgets replace the launch-readiness defaults.
    thresholds: judgedThresholds(
      { thresholds: budgets, phases, baseline: STEP_PHASES.steady, ops },
      { defaults: false },
    ),
    lagToleranceMs: lagTolerance(budgets),
  };
}

/** The options are built here from a checked scenario: a problem is a bug of ours, not bad input. */
function executorOf({ scenario, options }: ExecutorSpec, rate: number) {
  const made = createExecutor(scenario, options);
  if ("problems" in made) throw new Error(`capacity step at ${rate}/s: ${made.problems.join("; ")}`);
  return made;
}

/** What a budget flag or the defaults judge, before the steady phase is added: `[metric=]expression`. */
export interface BudgetSpec {
  metric: string;
  expression: string;
  source: CapacityBudget["source"];
}

const PER_OP = new Set(["latency", "http_req_duration", "pool_wait"]);

/**
 * The budgets as thresholds on the steady window. A latency budget with no op tag applies to every
 * user-facing op (or only `--op`); budgets given replace the defaults of their metric.
 */
export function stepBudgets(
  given: BudgetSpec[],
  ops: string[],
  onlyOp: string | undefined,
): { budgets: BudgetSpec[]; thresholds: ParsedThreshold[]; problems: string[] } {
  const metricOf = (m: string) => m.split("{")[0] ?? m;
  const givenMetrics = new Set(given.map((b) => metricOf(b.metric)));
  const defaults: BudgetSpec[] = [
    { metric: "latency", expression: LAUNCH_READINESS.p95, source: "default" },
    { metric: "errors", expression: LAUNCH_READINESS.errors, source: "default" },
  ].filter((b) => !givenMetrics.has(b.metric)) as BudgetSpec[];
  const budgets = [...given, ...defaults];
  const judged = (onlyOp ? [onlyOp] : ops.filter((o) => !isBackgroundOp(o))).filter((o) => ops.includes(o));
  const thresholds: ParsedThreshold[] = [];
  const problems: string[] = [];
  // One budget at a time, so a problem names the budget as the user wrote it, not the keys built from it.
  for (const b of budgets) {
    const tagged = /^([a-z_]+)\{(.*)\}$/.exec(b.metric);
    const keys = tagged
      ? [`${tagged[1]}{${tagged[2]},phase:${STEP_PHASES.steady}}`]
      : PER_OP.has(b.metric)
        ? judged.map((op) => `${b.metric}{op:${op},phase:${STEP_PHASES.steady}}`)
        : [`${b.metric}{phase:${STEP_PHASES.steady}}`];
    const parsed = parseThresholds(Object.fromEntries(keys.map((k) => [k, [b.expression]])), {
      ops,
      phases: [STEP_PHASES.warmup, STEP_PHASES.steady],
    });
    thresholds.push(...parsed.thresholds);
    // Each key repeats the same problem (one per op): once is enough.
    const reasons = new Set(parsed.problems.map((p) => p.replace(/^thresholds\['[^']*'\](\[\d+\])?: /, "")));
    problems.push(...[...reasons].map((r) => `'${b.metric}=${b.expression}': ${r}`));
  }
  return { budgets, thresholds, problems };
}

/** `--budget "p(95)<300"` (latency) or `--budget "errors=rate<0.02"` / `"latency{op:search}=p(99)<800"`. */
export function readBudgetFlag(raw: string): BudgetSpec {
  const at = raw.indexOf("=");
  // "p(95)<=300" has its "=" after the operator: a metric comes first and has no "<", ">" or "(".
  if (at > 0 && !/[<>(]/.test(raw.slice(0, at))) {
    return { metric: raw.slice(0, at).trim(), expression: raw.slice(at + 1).trim(), source: "flag" };
  }
  return { metric: "latency", expression: raw.trim(), source: "flag" };
}
