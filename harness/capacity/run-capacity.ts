/**
 * `rehearse capacity` on one warm stack: start, seed and start the app once,
 * then one step per rate the search asks for, each a short rehearsal of its
 * own (fresh client pool and sampler, same servers), and the capacity report.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { AbortedError } from "../../core/errors.ts";
import { CAPACITY_SCHEMA_VERSION, type CapacityReport, type CapacityStep } from "../../reports/capacity/schema.ts";
import { buildRunReport } from "../run/build-report.ts";
import { rehearse } from "../run/rehearsal.ts";
import { type RunOptions, withPreparedStack } from "../run/run-scenario.ts";
import type { LoadedScenario } from "../scenario/load.ts";
import type { ParsedThreshold } from "../thresholds/parse.ts";
import { brokeFirst } from "./broke-first.ts";
import { type SearchLimits, type SearchResult, searchCapacity } from "./search.ts";
import { stepOf } from "./step-metrics.ts";
import {
  type BackgroundEntry,
  type BudgetSpec,
  type MixEntry,
  type StepShape,
  stepMaxVUs,
  stepScenario,
} from "./step-scenario.ts";

/** Between steps, once the last one's work has drained: a moment for the servers. */
const SETTLE_MS = 1_000;
/** What an overloaded step left queued finishes on its own within this, rather than be cancelled. */
const DRAIN_MS = 20_000;
export const UTILISATION_NOTE = 0.8;

export interface CapacityPlan {
  scenario: LoadedScenario;
  mix: MixEntry[];
  background: BackgroundEntry[];
  budgets: BudgetSpec[];
  thresholds: ParsedThreshold[];
  limits: SearchLimits;
  shape: StepShape;
  targetRate: number | null;
  poolSize: number;
  poolMode: string;
}

export async function runCapacity(
  plan: CapacityPlan,
  options: RunOptions & { onStep?: (step: CapacityStep) => void },
): Promise<CapacityReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const steps: CapacityStep[] = [];
  let provider = options.stack.target ? "external" : options.stack.provider;
  let search: SearchResult | null = null;
  const hasApp = plan.scenario.app !== undefined || options.stack.target?.app !== undefined;
  try {
    await withPreparedStack(plan.scenario, options, async ({ stack, http, app }) => {
      provider = stack.provider;
      search = await searchCapacity(
        plan.limits,
        async (rate, repeat) => {
          const scenario = stepScenario(plan.scenario, plan, rate, plan.shape, plan.thresholds);
          const rehearsal = await rehearse(scenario, stack, {
            ...options,
            http,
            app,
            onProgress: undefined,
            drainMs: DRAIN_MS,
            stagingApp: options.stack.target?.app?.baseUrl,
          });
          const report = buildRunReport({
            scenario,
            stack,
            settings: options.stack.settings,
            startedAt,
            seed: null,
            rehearsal,
            aborted: options.signal.aborted,
            app,
          });
          const step = stepOf(report, {
            rate,
            repeat,
            poolSize: plan.poolSize,
            scaled: plan.mix.map((m) => m.op),
            maxVUs: plan.mix.reduce((n, m) => n + stepMaxVUs(rate * m.share, m.maxVUs), 0),
          });
          steps.push(step);
          options.onStep?.(step);
          if (!options.signal.aborted) await sleep(SETTLE_MS, undefined, { signal: options.signal }).catch(() => {});
          return { verdict: step.verdict, clearBreach: step.clearBreach };
        },
        { now: () => performance.now(), aborted: () => options.signal.aborted },
      );
    });
  } catch (error) {
    // A signal during start-up or seeding: no step ran; the report says so.
    if (!(error instanceof AbortedError)) throw error;
  }
  const result: SearchResult = search ?? {
    status: "aborted",
    capacityRate: null,
    firstFailingRate: null,
    steps: [],
    reason: "stopped by a signal before the first step",
  };
  return capacityReport(plan, {
    result,
    steps,
    provider,
    startedAt,
    hasApp,
    seconds: (performance.now() - started) / 1000,
  });
}

function capacityReport(
  plan: CapacityPlan,
  run: {
    result: SearchResult;
    steps: CapacityStep[];
    provider: string;
    startedAt: string;
    hasApp: boolean;
    seconds: number;
  },
): CapacityReport {
  const { result, steps } = run;
  const best = steps.filter((s) => s.passed && s.rate === result.capacityRate).at(-1);
  const failing =
    result.status === "generator-bound" || result.status === "host-bound"
      ? steps.at(-1)
      : steps.filter((s) => s.verdict === "failed" && s.rate === result.firstFailingRate).at(-1);
  const atTarget = plan.targetRate === null ? [] : steps.filter((s) => s.rate === plan.targetRate);
  const targetMet =
    plan.targetRate === null
      ? null
      : (result.capacityRate !== null && result.capacityRate >= plan.targetRate) ||
        (atTarget.length > 0 && atTarget.at(-1)?.passed === true);
  return {
    schemaVersion: CAPACITY_SCHEMA_VERSION,
    kind: "capacity",
    scenario: plan.scenario.name,
    provider: run.provider,
    startedAt: run.startedAt,
    durationS: Math.round(run.seconds * 10) / 10,
    status: result.status,
    reason: result.reason,
    capacityRate: result.capacityRate,
    firstFailingRate: result.firstFailingRate,
    brokeFirst:
      result.status === "found" || result.status === "generator-bound" || result.status === "host-bound"
        ? brokeFirst(failing, best, {
            poolSize: plan.poolSize,
            hasApp: run.hasApp,
            appInstances: plan.scenario.app?.instances ?? 1,
            httpConnections: plan.scenario.app?.connections ?? 64,
          })
        : null,
    targetRate: plan.targetRate,
    targetMet,
    budgets: plan.budgets.map(({ metric, expression, source }) => ({ metric, expression, source })),
    mix: plan.mix.map((m) => ({ scenario: m.scenario, op: m.op, share: Math.round(m.share * 1000) / 1000 })),
    background: plan.background,
    settings: {
      stepDurationS: plan.shape.stepMs / 1000,
      warmupS: plan.shape.warmupMs / 1000,
      precisionPct: Math.round(plan.limits.precision * 1000) / 10,
      startRate: plan.limits.startRate,
      maxRate: plan.limits.maxRate,
      pgbouncerPoolSize: plan.poolSize,
      pgbouncerPoolMode: plan.poolMode,
      utilisationNote: UTILISATION_NOTE,
    },
    utilisationPassedAt:
      [...steps].sort((a, b) => a.rate - b.rate).find((s) => (s.pgbouncerUtilisation?.max ?? 0) > UTILISATION_NOTE)
        ?.rate ?? null,
    steps,
  };
}
