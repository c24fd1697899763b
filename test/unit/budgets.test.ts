/** How a scenario's budgets are planned: per op, on windows in faults, with the launch-readiness defaults. */
import { describe, expect, it } from "vitest";
import { judgedThresholds } from "../../harness/scenario/budgets.ts";
import { parseThresholds } from "../../harness/thresholds/parse.ts";

const phases = [
  { name: "warmup", startMs: 0, endMs: 10_000 },
  { name: "baseline", startMs: 10_000, endMs: 30_000 },
  { name: "deploy", startMs: 30_000, endMs: 40_000 },
  { name: "after", startMs: 40_000, endMs: 60_000 },
];
const ops = ["dashboard", "search", "event", "job"];

function plan(thresholds: Record<string, string[]>) {
  const parsed = parseThresholds(thresholds, { ops, phases: phases.map((p) => p.name) });
  expect(parsed.problems).toEqual([]);
  return judgedThresholds({ thresholds: parsed.thresholds, phases, baseline: "baseline", ops });
}
const keys = (planned: ReturnType<typeof plan>, source?: "default") =>
  planned.filter((t) => t.source === source).map((t) => `${t.key} ${t.expression}`);

describe("budgets per op, per window, with the defaults", () => {
  it("a budget naming only the phase is judged on each user-facing op, and keeps every op's default", () => {
    const planned = plan({ "latency{phase:deploy}": ["p(95)<1000"] });
    const mine = planned.find((t) => t.source === undefined);
    expect(mine).toMatchObject({ perOp: ["dashboard", "search", "event"], judgeWindowMs: 10_000 });
    // The defaults stay in force: p95 < 300 per user-facing op after the baseline, errors per op and phase.
    expect(keys(planned, "default")).toEqual([
      ...["baseline", "deploy", "after"].flatMap((phase) =>
        ops.map((op) => `errors{op:${op},phase:${phase}} rate<0.01`),
      ),
      ...["deploy", "after"].flatMap((phase) =>
        ["dashboard", "search", "event"].map((op) => `latency{op:${op},phase:${phase}} p(95)<300`),
      ),
    ]);
  });

  it("naming an op (in a phase, or in all of them) replaces that op's defaults only", () => {
    const planned = plan({
      "latency{op:search,phase:deploy}": ["p(95)<800"],
      "latency{op:event}": ["p(95)<500"],
      "errors{op:dashboard}": ["rate<0.05"],
    });
    const latency = keys(planned, "default").filter((k) => k.startsWith("latency"));
    expect(latency).toEqual([
      "latency{op:dashboard,phase:deploy} p(95)<300",
      "latency{op:dashboard,phase:after} p(95)<300",
      "latency{op:search,phase:after} p(95)<300",
    ]);
    expect(keys(planned, "default").filter((k) => k.startsWith("errors{op:dashboard"))).toEqual([]);
  });

  it("a global errors budget is judged per op and does not switch the per-op defaults off", () => {
    const planned = plan({ errors: ["rate<0.01"] });
    expect(planned.find((t) => t.key === "errors")).toMatchObject({ perOp: ops, judgeWindowMs: 0 });
    expect(keys(planned, "default").filter((k) => k.startsWith("errors"))).toHaveLength(12);
  });

  it("the very same budget for a phase makes the defaults it repeats redundant", () => {
    const planned = plan({ "latency{phase:deploy}": ["p(95)<300"], "errors{phase:after}": ["rate<0.01"] });
    const defaults = keys(planned, "default");
    expect(defaults.filter((k) => k.includes("latency") && k.includes("deploy"))).toEqual([]);
    expect(defaults.filter((k) => k.includes("errors") && k.includes("after"))).toEqual([]);
    expect(defaults.filter((k) => k.includes("latency") && k.includes("after"))).toHaveLength(3);
  });

  it("windows: budgets of phases after the baseline (default 10 s, or their own); baseline and whole-run ones have none", () => {
    const parsed = parseThresholds(
      {
        "latency{op:search,phase:deploy}": [{ threshold: "p(95)<300", window: "5s" }] as never,
        "latency{op:search,phase:after}": [{ threshold: "p(95)<300", window: "0s" }] as never,
        "latency{op:search,phase:baseline}": ["p(95)<100"],
        "latency{op:search}": ["p(99)<2000"],
        http_req_duration: ["p(95)<300"],
      },
      { ops, phases: phases.map((p) => p.name) },
    );
    const planned = judgedThresholds({ thresholds: parsed.thresholds, phases, baseline: "baseline", ops });
    expect(planned.slice(0, 5).map((t) => [t.key, t.judgeWindowMs, t.perOp])).toEqual([
      ["latency{op:search,phase:deploy}", 5_000, undefined],
      ["latency{op:search,phase:after}", 0, undefined],
      ["latency{op:search,phase:baseline}", 0, undefined],
      ["latency{op:search}", 0, undefined],
      // k6's metric keeps k6's meaning: merged over every request.
      ["http_req_duration", 0, undefined],
    ]);
  });

  it("a tag rehearse does not keep is bad input", () => {
    const parsed = parseThresholds({ "latency{scenario:browse}": ["p(95)<300"] }, { ops });
    expect(parsed.problems).toEqual([
      "thresholds['latency{scenario:browse}']: tag filter 'scenario' is not one rehearse keeps (op, phase, name): measurements are per op and phase",
    ]);
  });
});
