/**
 * The nightly gate on real runs: one scenario run 5 times on the same code against one stack, then 3 times
 * with one op 20 ms slower. Every pair of identical runs: no regression, no improvement; every pair of an
 * identical and a slowed run: the slowed op flagged, no other op. Run alone (its own vitest group): a
 * neighbour on the host would mark the runs disturbed, and a disturbed run is not judged (nor is one whose
 * hypervisor gave 10% of its CPU to other VMs for 2 s). Every pair is asserted on: a disturbed slowed pair
 * must still say "disturbed" for the slowed op (never "within noise"), and at least one pair of each kind
 * must be judged, or the test proves nothing and fails. (Half of them, as it asked before, failed in CI
 * with 10.9% steal: 2 of the 3 slowed runs were disturbed, leaving 4 of 15 slowed pairs judged.)
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareRuns } from "../../harness/compare/compare-runs.ts";
import { DEFAULT_COMPARE } from "../../reports/compare.ts";
import { readReportFile } from "../../reports/read-report.ts";
import type { RunReport } from "../../reports/schema.ts";
import { reportDir } from "../../reports/write-reports.ts";
import { type RehearseProcess, runRehearse, startRehearse } from "../helpers/rehearse-process.ts";
import { newStateDir, providersUnderTest, testEnv } from "../helpers/stack.ts";

const SCENARIO = fileURLToPath(new URL("../fixtures/scenarios/compare-lookup.ts", import.meta.url));
/** Five: 20 ordered pairs of identical runs (six gave 30, for 6 s more of the suite's 15 minutes). */
const RUNS = 5;
const SLOWED_RUNS = 3;
const SLOW_MS = 20;

describe("rehearse compare on repeated runs of one scenario (one stack, run alone)", () => {
  const provider = providersUnderTest().includes("native") ? "native" : "testcontainers";
  const stateDir = newStateDir();
  const dir = mkdtempSync(join(tmpdir(), "rehearse-test-compare-"));
  const targetFile = join(dir, "target.json");
  let up: RehearseProcess;

  beforeAll(async () => {
    up = startRehearse(["up", "--provider", provider, "--json"], testEnv(stateDir));
    writeFileSync(targetFile, await up.firstLine(120_000));
  }, 150_000);

  afterAll(async () => {
    up?.child.kill("SIGTERM");
    await up?.exited;
  });

  const runs = async (out: string, slowMs: number, count: number): Promise<RunReport[]> => {
    const env = { ...testEnv(stateDir), REHEARSE_TEST_SLOW_MS: String(slowMs) };
    const args = ["run", SCENARIO, "--target", targetFile, "--repeat", String(count), "--out", out, "--no-progress"];
    const result = await runRehearse(args, env, 240_000);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    return Array.from({ length: count }, (_, i) =>
      readReportFile(join(reportDir(out, "compare-lookup", i + 1), "report.json")),
    );
  };

  it(`${RUNS} identical runs: no pair differs; ${SLOWED_RUNS} with detail ${SLOW_MS} ms slower: every pair flags detail alone`, async () => {
    const same = await runs(join(dir, "same"), 0, RUNS);
    const slowed = await runs(join(dir, "slowed"), SLOW_MS, SLOWED_RUNS);
    // Valid runs, or this test proves nothing.
    for (const r of [...same, ...slowed]) expect(r.generator.reasons, `generator of ${r.startedAt}`).toEqual([]);
    // A run others disturbed (programs beside it, or other VMs' steal) is compared as "disturbed": said, never a
    // regression or an improvement. Some pairs must be judged, or the test proves nothing.
    const falseAlarms: string[] = [];
    let judged = 0;
    for (let i = 0; i < RUNS; i++)
      for (let j = 0; j < RUNS; j++) {
        if (i === j) continue;
        const c = compareRuns([same[i] as RunReport], [same[j] as RunReport], DEFAULT_COMPARE);
        if (c.disturbed.length === 0) judged++;
        for (const r of [...c.regressions, ...c.improvements])
          falseAlarms.push(`${i}→${j} ${r.op} ${r.metric} ${r.verdict}`);
      }
    expect(falseAlarms).toEqual([]);
    expect(judged, "identical pairs judged (not disturbed)").toBeGreaterThanOrEqual(1);
    let slowJudged = 0;
    for (const a of same)
      for (const b of slowed) {
        const c = compareRuns([a], [b], DEFAULT_COMPARE);
        expect(c.improvements).toEqual([]);
        expect(c.regressions.filter((r) => r.op !== "detail")).toEqual([]);
        const detailP95 = c.rows.find((r) => r.op === "detail" && r.metric === "latency p95");
        if (c.disturbed.length > 0) {
          expect(detailP95?.verdict, `${a.startedAt} → ${b.startedAt}`).toMatch(/^(regression|disturbed)$/);
          continue;
        }
        slowJudged++;
        expect(detailP95?.verdict).toBe("regression");
      }
    expect(slowJudged, "slowed pairs judged (not disturbed)").toBeGreaterThanOrEqual(1);

    // From the CLI, as a nightly job runs it: three accepted runs against three new ones.
    const baselines = join(dir, "baselines");
    const fresh = join(dir, "fresh");
    const slowFresh = join(dir, "slow-fresh");
    const copy = (from: string, k: number, to: string) => {
      mkdirSync(join(to, `run-${k}`), { recursive: true });
      cpSync(join(reportDir(join(dir, from), "compare-lookup", k), "report.json"), join(to, `run-${k}`, "report.json"));
    };
    // Two accepted runs against the other three (and the three slowed ones).
    for (const k of [1, 2]) copy("same", k, baselines);
    for (const k of [1, 2, 3]) {
      copy("same", k + 2, fresh);
      copy("slowed", k, slowFresh);
    }
    const quiet = await runRehearse(["compare", baselines, fresh], testEnv(stateDir));
    expect(quiet.code, quiet.stdout).toBe(0);
    expect(quiet.stdout).toMatch(/noise: measured over 2 base and 3 new run\(s\)/);
    expect(quiet.stdout).toMatch(/0 regression\(s\), 0 improvement\(s\)/);
    const slow = await runRehearse(["compare", baselines, slowFresh], testEnv(stateDir));
    expect(slow.stdout).not.toMatch(/lookup .*regression/);
    // A disturbed run is left out where its side has others; only when every run of a side was disturbed are
    // its rows "disturbed" (said, not failing). Otherwise detail's p95 is the regression.
    if (!/disturbed: not judged/.test(slow.stdout)) {
      expect(slow.code, slow.stdout).toBe(99);
      expect(slow.stdout).toMatch(/baseline\s+detail\s+latency p95 \(ms\).*regression/);
    } else expect(slow.stdout).toMatch(/baseline\s+detail\s+latency p95 \(ms\).*(regression|disturbed)/);
    expect(existsSync(join(dir, "same", "compare-lookup", "report.json"))).toBe(true);

    // The same load from three processes (rehearse run --segment k/3 from one start), merged: the gate
    // finds it within the noise of the accepted one-process runs, regression-free.
    const startAt = new Date(Date.now() + PART_LEAD_MS).toISOString();
    const parts = await Promise.all(
      [1, 2, 3].map((k) =>
        runRehearse(
          [
            "run",
            SCENARIO,
            "--target",
            targetFile,
            "--segment",
            `${k}/3`,
            "--start-at",
            startAt,
            "--out",
            join(dir, `part-${k}`),
            "--no-progress",
          ],
          testEnv(stateDir),
        ),
      ),
    );
    for (const p of parts) expect(p.code, `${p.stdout}\n${p.stderr}`).toBe(0);
    const partFiles = [1, 2, 3].map((k) => join(dir, `part-${k}`, "compare-lookup", "report.json"));
    const merged = await runRehearse(["merge", ...partFiles, "--out", join(dir, "merged")], testEnv(stateDir));
    expect(merged.code, `${merged.stdout}\n${merged.stderr}`).toBe(0);
    const mergedReport = readReportFile(join(dir, "merged", "compare-lookup", "report.json"));
    // The parts' halves are added, so the merged run's own wander is measured too.
    const baselineOps = mergedReport.ops.filter((o) => o.phase === "baseline");
    expect(baselineOps.map((o) => o.halves?.latency.length)).toEqual([2, 2]);
    const gate = await runRehearse(["compare", baselines, join(dir, "merged")], testEnv(stateDir));
    expect(gate.code, gate.stdout).toBe(0);
    expect(gate.stdout).toMatch(/0 regression\(s\), 0 improvement\(s\)/);
    expect(gate.stdout).toMatch(/within noise/);
  }, 600_000);
});

/** Time for three processes to load the scenario and connect before their shared start. */
const PART_LEAD_MS = 6_000;
