/**
 * Thresholds in k6's grammar: keys `metric{tag:value,...}`, expressions
 * `aggregation op value` (e.g. `p(95)<300`, `rate<0.01`), as strings or
 * `{ threshold, abortOnFail, delayAbortEval }`. Every problem is reported at
 * once so a bad file fails before anything starts.
 */

import { parseDuration } from "../../core/duration.ts";
import type { ThresholdSpec } from "../scenario/define.ts";

export const METRICS = {
  latency: "trend",
  pool_wait: "trend",
  service_time: "trend",
  dispatch_lag: "trend",
  errors: "rate",
  cache_hits: "rate",
  iterations: "counter",
  dropped_iterations: "counter",
  // k6's HTTP metrics, for ops that call the app: per request, not per iteration.
  http_req_duration: "trend",
  http_req_failed: "rate",
  checks: "rate",
} as const;
export type MetricName = keyof typeof METRICS;
type MetricKind = (typeof METRICS)[MetricName];

const AGGREGATIONS: Record<MetricKind, string[]> = {
  trend: ["avg", "min", "max", "med", "p(N)", "count"],
  rate: ["rate"],
  counter: ["count", "rate"],
};

export type Operator = "<" | "<=" | ">" | ">=" | "==" | "!=";

export interface ParsedThreshold {
  /** The key as written, e.g. `latency{op:dashboard}`. */
  key: string;
  metric: MetricName;
  tags: Record<string, string>;
  expression: string;
  aggregation: string;
  /** For p(N): N. */
  percentile?: number;
  operator: Operator;
  value: number;
  abortOnFail: boolean;
  delayAbortEvalMs: number;
  /** The rolling window the scenario gave (`window: "5s"`; 0: the whole phase only); else the default. */
  windowMs?: number;
  /** Added by rehearse (the launch-readiness bar), not written in the scenario. */
  source?: "default";
  /** Set when the budget is planned (judgedThresholds): the ops each judged on their own (a budget that
   * names no op holds for every op), and the rolling window it is judged on (0: none). */
  perOp?: string[];
  judgeWindowMs?: number;
}

/** The tags a threshold may filter on: rehearse's measurements are kept per op and phase (and HTTP name). */
export const THRESHOLD_TAGS = ["op", "phase", "name"] as const;

const KEY = /^([a-z_]+)(?:\{([^}]*)\})?$/;
const EXPRESSION =
  /^\s*(avg|min|max|med|count|rate|p\(\s*(\d+(?:\.\d+)?)\s*\))\s*(<=|>=|==|===|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

export interface ParseContext {
  /** Ops that exist: a tag filter naming another is a mistake. */
  ops: string[];
  /** Phases that exist (empty: no phase filter allowed). */
  phases?: string[];
}

export function parseThresholds(
  thresholds: Record<string, ThresholdSpec[] | ThresholdSpec>,
  context: ParseContext,
): { thresholds: ParsedThreshold[]; problems: string[] } {
  const parsed: ParsedThreshold[] = [];
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(thresholds)) {
    const where = `thresholds['${key}']`;
    const keyMatch = KEY.exec(key.trim());
    const metric = keyMatch?.[1] as MetricName | undefined;
    if (!keyMatch || !metric || !(metric in METRICS)) {
      problems.push(`${where}: unknown metric (known: ${Object.keys(METRICS).join(", ")})`);
      continue;
    }
    const tags = parseTags(keyMatch[2] ?? "", where, context, problems);
    if (tags.name !== undefined && metric !== "http_req_duration" && metric !== "http_req_failed")
      problems.push(`${where}: the name tag groups HTTP requests: only http_req_duration and http_req_failed have it`);
    const list = Array.isArray(raw) ? raw : [raw];
    list.forEach((item, i) => {
      const one = parseOne(item, `${where}[${i}]`, METRICS[metric], problems);
      if (one) parsed.push({ key, metric, tags, ...one });
    });
  }
  return { thresholds: parsed, problems };
}

function parseTags(text: string, where: string, context: ParseContext, problems: string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of text.split(",").filter((p) => p.trim() !== "")) {
    // Split at the first colon only: a name tag's value may hold more ("/dashboard/:account").
    const at = part.indexOf(":");
    const name = at < 0 ? part.trim() : part.slice(0, at).trim();
    const value = at < 0 ? "" : part.slice(at + 1).trim();
    if (!name || !value) {
      problems.push(`${where}: tag filter '${part}' is not name:value`);
      continue;
    }
    if (!(THRESHOLD_TAGS as readonly string[]).includes(name)) {
      problems.push(
        `${where}: tag filter '${name}' is not one rehearse keeps (${THRESHOLD_TAGS.join(", ")}): measurements are per op and phase`,
      );
      continue;
    }
    if (name === "op" && !context.ops.includes(value)) {
      problems.push(`${where}: no op named '${value}' (ops: ${context.ops.join(", ") || "none"})`);
    }
    if (name === "phase" && context.phases && !context.phases.includes(value)) {
      problems.push(`${where}: no phase named '${value}' (phases: ${context.phases.join(", ") || "none"})`);
    }
    tags[name] = value;
  }
  return tags;
}

const OBJECT_FIELDS = ["threshold", "abortOnFail", "delayAbortEval", "window"];

function parseOne(item: ThresholdSpec, where: string, kind: MetricKind, problems: string[]) {
  const object = typeof item === "string" ? { threshold: item } : item;
  if (!object || typeof object !== "object" || typeof object.threshold !== "string") {
    problems.push(`${where}: must be an expression string or { threshold, abortOnFail, delayAbortEval }`);
    return undefined;
  }
  for (const key of Object.keys(object).filter((k) => !OBJECT_FIELDS.includes(k)))
    problems.push(`${where}.${key}: unknown field (expected ${OBJECT_FIELDS.join(", ")})`);
  if (object.abortOnFail !== undefined && typeof object.abortOnFail !== "boolean")
    problems.push(`${where}.abortOnFail: must be true or false (got ${JSON.stringify(object.abortOnFail)})`);
  const match = EXPRESSION.exec(object.threshold);
  if (!match) {
    problems.push(`${where}: '${object.threshold}' is not an expression like 'p(95)<300' or 'rate<0.01'`);
    return undefined;
  }
  const [, aggregationText = "", percentileText, operatorText = "", valueText = ""] = match;
  const aggregation = percentileText === undefined ? aggregationText : "p(N)";
  if (!AGGREGATIONS[kind].includes(aggregation)) {
    problems.push(
      `${where}: ${aggregationText} does not apply to a ${kind} metric (use ${AGGREGATIONS[kind].join(", ")})`,
    );
    return undefined;
  }
  const percentile = percentileText === undefined ? undefined : Number(percentileText);
  if (percentile !== undefined && (percentile < 0 || percentile > 100)) {
    problems.push(`${where}: p(${percentile}) is outside 0–100`);
    return undefined;
  }
  const delay = parseDuration(object.delayAbortEval ?? 0);
  if (typeof delay === "string") problems.push(`${where}.delayAbortEval: ${delay}`);
  const rawWindow = (object as { window?: unknown }).window;
  const window = rawWindow === undefined ? undefined : parseDuration(rawWindow);
  if (typeof window === "string") problems.push(`${where}.window: ${window} (or "0s": the whole phase only)`);
  else if (window !== undefined && window > 0 && window < 1_000)
    problems.push(`${where}.window: at least 1s (or "0s": the whole phase only)`);
  return {
    expression: object.threshold.trim(),
    aggregation,
    ...(percentile !== undefined && { percentile }),
    operator: (operatorText === "===" ? "==" : operatorText) as Operator,
    value: Number(valueText),
    abortOnFail: object.abortOnFail === true,
    delayAbortEvalMs: typeof delay === "number" ? delay : 0,
    ...(typeof window === "number" && { windowMs: window }),
  };
}
