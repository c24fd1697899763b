import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareSuite, MAX_BASELINES } from "../../harness/compare/compare-suite.ts";
import { encodeHistogram, newHistogram, percentilesMs, recordMs } from "../../harness/metrics/histogram.ts";
import { DEFAULT_COMPARE } from "../../reports/compare.ts";
import { readReportDir } from "../../reports/read-report.ts";
import type { RunReport } from "../../reports/schema.ts";
import { sampleReport } from "../fixtures/reports/sample-report.ts";

/** The sample run with the dashboard's latencies in the fault phase set to 1000 values spread evenly up to
 * twice `faultMs` (the others as the sample has them). */
function run(startedAt: string, faultMs: number, scenario?: string): RunReport {
  const report = sampleReport();
  report.startedAt = startedAt;
  if (scenario) report.scenario = scenario;
  const o = report.ops.find((op) => op.op === "dashboard" && op.phase === "fault");
  if (o) {
    const h = newHistogram();
    for (let i = 0; i < 1000; i++) recordMs(h, (faultMs * 2 * (i + 0.5)) / 1000);
    const p = percentilesMs(h);
    o.latencyMs = { p50: p.p50, p95: p.p95, p99: p.p99, max: p.max };
    o.histograms = { ...o.histograms, latency: encodeHistogram(h) };
  }
  return report;
}

describe("compareSuite: a directory of runs against accepted baselines", () => {
  it("groups by scenario: the accepted runs (their histograms merged) against the new ones", () => {
    const suite = compareSuite(
      [run("2026-11-02", 100), run("2026-11-01", 100)],
      [run("2026-11-03", 100)],
      DEFAULT_COMPARE,
    );
    expect(suite.regressions).toBe(0);
    expect(suite.scenarios[0]).toMatchObject({ scenario: "sample", baselines: 2, used: 2 });
    expect(suite.scenarios[0]?.comparison).toMatchObject({ baseRuns: 2, newRuns: 1, baseStartedAt: "2026-11-02" });
  });

  it("a fault-phase rise beyond the intervals is a regression on the op that rose", () => {
    const suite = compareSuite(
      [run("2026-11-01", 100), run("2026-11-02", 102)],
      [run("2026-11-03", 200)],
      DEFAULT_COMPARE,
    );
    expect(suite.regressions).toBeGreaterThan(0);
    expect(new Set(suite.scenarios[0]?.comparison.regressions.map((r) => `${r.op} ${r.phase}`))).toEqual(
      new Set(["dashboard fault"]),
    );
  });

  it("noisy baselines: a change within their spread is within noise", () => {
    const suite = compareSuite(
      [run("2026-11-01", 100), run("2026-11-02", 180)],
      [run("2026-11-03", 170)],
      DEFAULT_COMPARE,
    );
    expect(suite.regressions).toBe(0);
    const row = suite.scenarios[0]?.comparison.rows.find(
      (r) => r.op === "dashboard" && r.metric === "latency p95" && r.phase === "fault",
    );
    expect(row?.noise).toBeGreaterThan(100);
  });

  it("uses at most the newest MAX_BASELINES accepted runs", () => {
    const accepted = Array.from({ length: 8 }, (_, i) => run(`2026-11-0${i + 1}`, 100));
    const suite = compareSuite(accepted, [run("2026-11-20", 100)], DEFAULT_COMPARE);
    expect(suite.scenarios[0]).toMatchObject({ baselines: 8, used: MAX_BASELINES });
  });

  it("a scenario with no accepted run is listed; a baselined one with no new run is missing; incompatible is refused", () => {
    const other = run("2026-11-03", 100, "other");
    const aborted = run("2026-11-03", 100);
    aborted.status = "aborted";
    const suite = compareSuite(
      [run("2026-11-01", 100), run("2026-11-01", 100, "gone")],
      [other, aborted],
      DEFAULT_COMPARE,
    );
    expect(suite.withoutBaseline).toEqual(["other"]);
    expect(suite.missingRuns).toEqual(["gone"]);
    expect(suite.incompatible[0]?.reasons.join()).toMatch(/aborted/);
  });
});

describe("readReportDir: the reports of a directory", () => {
  it("reads report.json and any JSON that is a run report, passes over other JSON, refuses a broken report.json", () => {
    const dir = mkdtempSync(join(tmpdir(), "rehearse-unit-reports-"));
    mkdirSync(join(dir, "cold-cache"));
    writeFileSync(join(dir, "cold-cache", "report.json"), JSON.stringify(run("2026-11-02", 100)));
    writeFileSync(join(dir, "cold-cache-2026-11-01.json"), JSON.stringify(run("2026-11-01", 100)));
    writeFileSync(join(dir, "cold-cache", "capacity.json"), JSON.stringify({ kind: "capacity", steps: [] }));
    writeFileSync(join(dir, "notes.json"), "{ not json");
    expect(readReportDir(dir).map((r) => r.startedAt)).toEqual(["2026-11-01", "2026-11-02"]); // by path
    writeFileSync(join(dir, "cold-cache", "report.json"), "{ broken");
    expect(() => readReportDir(dir)).toThrow(/report .*report\.json/);
  });
});
