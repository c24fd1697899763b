import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_COMPARE } from "../../reports/compare.ts";
import { compareSuite, noiseOf } from "../../reports/compare-suite.ts";
import { readReportDir } from "../../reports/read-report.ts";
import type { RunReport } from "../../reports/schema.ts";
import { sampleReport } from "../fixtures/reports/sample-report.ts";

/** The sample run with the dashboard's p95 set in the baseline and fault phases. */
function run(startedAt: string, baselineP95: number, faultP95: number, scenario?: string): RunReport {
  const report = sampleReport();
  report.startedAt = startedAt;
  if (scenario) report.scenario = scenario;
  for (const o of report.ops.filter((op) => op.op === "dashboard")) {
    if (o.phase === report.baseline) o.latencyMs = { ...o.latencyMs, p95: baselineP95 };
    if (o.phase === "fault") o.latencyMs = { ...o.latencyMs, p95: faultP95 };
  }
  return report;
}

describe("noiseOf: the spread of the baseline phase between accepted runs", () => {
  it("is unknown with one run", () => {
    expect(noiseOf([run("2026-11-01", 100, 300)], 5)).toBeNull();
  });

  it("is the widest op's spread, in percent of its lowest p95", () => {
    const noise = noiseOf([run("2026-11-01", 100, 300), run("2026-11-02", 140, 300)], 5);
    expect(noise).toMatchObject({ op: "dashboard", lowMs: 100, highMs: 140, spreadPct: 40, runs: 2 });
  });

  it("ignores a spread below the floor (0.4 → 0.9 ms is no noise worth a name)", () => {
    expect(noiseOf([run("2026-11-01", 0.4, 300), run("2026-11-02", 0.9, 300)], 5)?.op).not.toBe("dashboard");
  });
});

describe("compareSuite: a directory of runs against accepted baselines", () => {
  it("pairs by scenario, the newest accepted run is the base", () => {
    const suite = compareSuite(
      [run("2026-11-02", 100, 500), run("2026-11-01", 100, 300)],
      [run("2026-11-03", 100, 560)],
      DEFAULT_COMPARE,
    );
    // Against the newest (500 ms), +12% is within the tolerance; against the older one it would regress.
    expect(suite.regressions).toBe(0);
    expect(suite.scenarios[0]?.comparison.baseStartedAt).toBe("2026-11-02");
  });

  it("a fault-phase rise beyond the tolerance is a regression when the baselines agree", () => {
    const suite = compareSuite(
      [run("2026-11-01", 100, 300), run("2026-11-02", 105, 300)],
      [run("2026-11-03", 100, 400)],
      DEFAULT_COMPARE,
    );
    expect(suite.scenarios[0]?.noisy).toBe(false);
    expect(suite.regressions).toBe(1);
  });

  it("noisy baselines: a change within their spread is noise, one beyond it still regresses", () => {
    const baselines = [run("2026-11-01", 100, 300), run("2026-11-02", 150, 300)]; // 50% apart
    const within = compareSuite(baselines, [run("2026-11-03", 100, 400)], DEFAULT_COMPARE); // +33%
    expect(within.scenarios[0]).toMatchObject({ noisy: true, noise: { spreadPct: 50 } });
    expect(within.regressions).toBe(0);
    expect(within.scenarios[0]?.comparison.rows.filter((r) => r.withinNoise)).toHaveLength(1);
    const beyond = compareSuite(baselines, [run("2026-11-03", 100, 600)], DEFAULT_COMPARE); // +100%
    expect(beyond.regressions).toBe(1);
  });

  it("lists a scenario with no accepted run, and refuses runs that cannot be compared", () => {
    const other = run("2026-11-03", 100, 300, "other");
    const aborted = run("2026-11-03", 100, 300);
    aborted.status = "aborted";
    const suite = compareSuite([run("2026-11-01", 100, 300)], [other, aborted], DEFAULT_COMPARE);
    expect(suite.withoutBaseline).toEqual(["other"]);
    expect(suite.incompatible[0]?.reasons.join()).toMatch(/aborted/);
  });
});

describe("readReportDir: the reports of a directory", () => {
  it("reads report.json and any JSON that is a run report, passes over other JSON, refuses a broken report.json", () => {
    const dir = mkdtempSync(join(tmpdir(), "rehearse-unit-reports-"));
    mkdirSync(join(dir, "cold-cache"));
    writeFileSync(join(dir, "cold-cache", "report.json"), JSON.stringify(run("2026-11-02", 100, 300)));
    writeFileSync(join(dir, "cold-cache-2026-11-01.json"), JSON.stringify(run("2026-11-01", 100, 300)));
    writeFileSync(join(dir, "cold-cache", "capacity.json"), JSON.stringify({ kind: "capacity", steps: [] }));
    writeFileSync(join(dir, "notes.json"), "{ not json");
    expect(readReportDir(dir).map((r) => r.startedAt)).toEqual(["2026-11-01", "2026-11-02"]); // by path
    writeFileSync(join(dir, "cold-cache", "report.json"), "{ broken");
    expect(() => readReportDir(dir)).toThrow(/report .*report\.json/);
  });
});
