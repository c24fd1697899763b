/** `rehearse report` and `rehearse compare` as a user runs them, on fixed report.json files (no servers). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeHistogram, newHistogram, recordMs } from "../../harness/metrics/histogram.ts";
import type { RunReport } from "../../reports/schema.ts";
import { sampleReport } from "../fixtures/reports/sample-report.ts";
import { runRehearse } from "../helpers/rehearse-process.ts";

const dir = mkdtempSync(join(tmpdir(), "rehearse-test-reports-"));
function save(name: string, report: RunReport): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(report));
  return file;
}
const env = { PATH: process.env.PATH ?? "" };

describe("rehearse report / compare", () => {
  const base = save("base.json", sampleReport());

  it("report re-renders an old run in each format", async () => {
    const junit = await runRehearse(["report", base, "--format", "junit"], env, 30_000);
    expect(junit.code).toBe(0);
    expect(junit.stdout).toContain('<testsuite name="rehearse.sample.thresholds" tests="5" failures="1"');
    const md = await runRehearse(["report", base], env, 30_000);
    expect(md.stdout).toContain("## ❌ rehearse: sample — FAILED");
    const bad = await runRehearse(["report", base, "--format", "pdf"], env, 30_000);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--format: 'pdf' is not one of html, md, junit, findings");
    const missing = await runRehearse(["report", join(dir, "nope.json")], env, 30_000);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json:\s+- file does not exist/);
  });

  it("compare: 0 without a regression, 99 with a table of what regressed, 2 for incompatible runs", async () => {
    const same = await runRehearse(["compare", base, save("same.json", sampleReport())], env, 30_000);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/0 regression\(s\), 0 improvement\(s\), \d+ within noise, \d+ not judged in 30 checks/);
    expect(same.stdout).toContain("noise: unknown (one run a side");

    // The dashboard's fault-phase latencies all 300 ms slower.
    const slower = sampleReport();
    const fault = slower.ops.find((o) => o.op === "dashboard" && o.phase === "fault");
    if (fault) {
      const h = newHistogram();
      for (let i = 0; i < 1000; i++) recordMs(h, 300 + (i < 940 ? 340 / 3 : i < 990 ? 340 : 510));
      fault.histograms = { ...fault.histograms, latency: encodeHistogram(h) };
    }
    const regressed = await runRehearse(["compare", base, save("slower.json", slower)], env, 30_000);
    expect(regressed.code).toBe(99);
    expect(regressed.stdout).toMatch(
      /fault\s+dashboard\s+latency p95 \(ms\)\s+340\.\d+ \[113\.\d+–340\.\d+\]\s+640\.\d+ \[413\.\d+–640\.\d+\]\s+\+300\.\d+ \(\+88\.\d+%\)\s+regression/,
    );
    const lenient = await runRehearse(
      ["compare", base, join(dir, "slower.json"), "--tolerance", "300", "--floor", "5"],
      env,
      30_000,
    );
    expect(lenient.code).toBe(0);

    const other = sampleReport();
    other.scenario = "checkout";
    const refused = await runRehearse(["compare", base, save("other.json", other)], env, 30_000);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("scenario: 'sample' vs 'checkout'");
  });
});
