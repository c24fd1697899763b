import { describe, expect, it } from "vitest";
import { compareReports, DEFAULT_COMPARE, incompatibilities } from "../../reports/compare.ts";
import type { RunReport } from "../../reports/schema.ts";
import { sampleReport } from "../fixtures/reports/sample-report.ts";

/** The sample with one op × phase's latency p95 (and p99) replaced. */
function withP95(p95: number, op = "dashboard", phase = "fault"): RunReport {
  const report = sampleReport();
  const target = report.ops.find((o) => o.op === op && o.phase === phase);
  if (target) target.latencyMs = { ...target.latencyMs, p95 };
  return report;
}

describe("compareReports", () => {
  it("flags a change beyond both the tolerance and the floor", () => {
    const c = compareReports(withP95(340), withP95(500), DEFAULT_COMPARE);
    expect(c.regressions).toEqual([
      {
        phase: "fault",
        op: "dashboard",
        metric: "latency p95",
        baseMs: 340,
        newMs: 500,
        deltaMs: 160,
        deltaPct: 47.059,
        regression: true,
        withinNoise: false,
      },
    ]);
    expect(c.rows).toHaveLength(18);
  });

  it("a change within the tolerance is not a regression", () => {
    expect(compareReports(withP95(340), withP95(400), DEFAULT_COMPARE).regressions).toEqual([]);
  });

  it("a large relative change below the noise floor is not a regression", () => {
    const base = withP95(1, "dashboard", "baseline");
    const next = withP95(4, "dashboard", "baseline"); // +300%, +3 ms
    expect(compareReports(base, next, DEFAULT_COMPARE).regressions).toEqual([]);
    expect(compareReports(base, next, { tolerancePct: 20, floorMs: 1 }).regressions).toHaveLength(1);
  });

  it("phases before the baseline (warm-up) are not compared", () => {
    const withWarmup = (p95: number) => {
      const report = sampleReport();
      report.phases = [{ name: "warmup", startMs: -5_000, endMs: 0 }, ...report.phases];
      report.ops = [
        { ...report.ops[0], phase: "warmup", latencyMs: { p50: 1, p95, p99: p95, max: p95 } },
        ...report.ops,
      ] as RunReport["ops"];
      return report;
    };
    const c = compareReports(withWarmup(30), withWarmup(300), DEFAULT_COMPARE);
    expect(c.regressions).toEqual([]);
    expect(c.rows.some((r) => r.phase === "warmup")).toBe(false);
    expect(c.unmatched).toEqual([]);
    // A report without a named baseline (written before it had one): every phase counts.
    const old = withWarmup(300);
    delete old.baseline;
    const base = withWarmup(30);
    delete base.baseline;
    expect(compareReports(base, old, DEFAULT_COMPARE).regressions.map((r) => r.phase)).toEqual(["warmup", "warmup"]);
  });

  it("notes op × phase pairs only one run has", () => {
    const next = sampleReport();
    next.ops = next.ops.filter((o) => o.phase !== "after");
    expect(compareReports(sampleReport(), next, DEFAULT_COMPARE).unmatched).toEqual([
      "dashboard in after: only in the base run",
      `${sampleReport().ops[5]?.op} in after: only in the base run`,
    ]);
  });
});

describe("incompatibilities", () => {
  it("none for two runs of the same scenario and settings", () => {
    expect(incompatibilities(sampleReport(), sampleReport())).toEqual([]);
  });

  it("seeding time differs on every run: only the seeded shape must match", () => {
    const next = sampleReport();
    next.seed = { ...next.seed, seconds: 9.87, checkpointed: false };
    expect(incompatibilities(sampleReport(), next)).toEqual([]);
    next.seed = { ...next.seed, events: 2000 };
    expect(incompatibilities(sampleReport(), next)).toEqual([
      'seed differ: {"events":1000,"accounts":10,"projects":50,"jobs":100} vs {"events":2000,"accounts":10,"projects":50,"jobs":100}',
    ]);
  });

  it("names every reason two runs cannot be compared", () => {
    const next = sampleReport();
    next.scenario = "other";
    next.status = "aborted";
    next.settings = { ...next.settings, pgbouncer: { poolMode: "transaction", defaultPoolSize: 5 } };
    next.phases = next.phases.slice(0, 2);
    expect(incompatibilities(sampleReport(), next)).toEqual([
      "scenario: 'sample' vs 'other' (compare runs of the same scenario)",
      "new run was aborted: its numbers cover part of the run",
      'PgBouncer settings differ: {"poolMode":"transaction","defaultPoolSize":20} vs {"poolMode":"transaction","defaultPoolSize":5}',
      'phases differ: ["baseline","fault","after"] vs ["baseline","fault"]',
    ]);
  });
});
