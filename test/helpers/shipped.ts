/** Running a shipped scenario through the real CLI, and judging its verdict: shared by the shipped-scenario tests. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { type Estimate, quantileEstimate } from "../../harness/compare/estimates.ts";
import { decodeHistogram } from "../../harness/metrics/histogram.ts";
import { hostCpuLine } from "../../reports/host-cpu.ts";
import type { Delta, RunReport } from "../../reports/schema.ts";
import { readReport, runRehearse } from "./rehearse-process.ts";
import { newStateDir, testEnv } from "./stack.ts";

export const scenario = (name: string) => fileURLToPath(new URL(`../../scenarios/${name}.ts`, import.meta.url));

/** Room for one run of the longest shipped scenario, scaled down, on a slow machine. */
export const TEST_TIMEOUT_MS = 240_000;

/** Runs a shipped scenario scaled down; returns its report, exit code and stdout. One run: it is judged. */
export async function runScaled(
  name: string,
  provider: string,
  scale: string,
  timeoutMs: number,
  stateDir = newStateDir(),
) {
  return runShipped(name, ["--provider", provider, "--duration-scale", scale], timeoutMs, stateDir);
}

export async function runShipped(name: string, flags: string[], timeoutMs: number, stateDir = newStateDir()) {
  const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
  const run = await runRehearse(["run", scenario(name), "--out", out, ...flags], testEnv(stateDir), timeoutMs);
  const report = readReport(out, name);
  // In the CI log: the verdict's reasons and how busy the machine was (CPU and steal per phase).
  const why = report.statusReasons.length > 0 ? ` (${report.statusReasons.join("; ")})` : "";
  console.log(`${name} on ${report.provider}: ${report.status}${why}; ${hostCpuLine(report)}`);
  return { report, code: run.code, stdout: run.stdout };
}

/**
 * The verdict follows the budgets: every phase after the baseline is judged by a threshold the scenario wrote
 * (rehearse's launch-readiness defaults cover what it does not name), and the run passed, exit 0, exactly
 * when all of them held and every action did its work; otherwise failed, exit 99. A shipped scenario's
 * verdict does not depend on the machine: it is the one its README entry promises. The scenarios are sized
 * so that the generator keeps its schedule on these machines: an invalid run fails the test.
 */
export function expectVerdict(report: RunReport, code: number | null, promised: "passed" | "failed"): void {
  expect(report.generator.reasons).toEqual([]);
  expect(report.generator.valid).toBe(true);
  const after = report.phases.slice(report.phases.findIndex((p) => p.name === report.baseline) + 1);
  for (const phase of after)
    expect(report.thresholds.some((t) => t.source === undefined && t.metric.includes(`phase:${phase.name}`))).toBe(
      true,
    );
  const held = report.thresholds.every((t) => t.ok) && report.actions.every((a) => a.result.error === undefined);
  expect(report.status).toBe(held ? "passed" : "failed");
  expect(code).toBe(held ? 0 : 99);
  expect(report.status, report.statusReasons.join("; ")).toBe(promised);
}

export function expectRecoveryMeasured(delta: Delta | undefined): void {
  expect(delta).toHaveProperty("recoveryMs");
  const recovery = delta?.recoveryMs ?? null;
  expect(recovery === null || (Number.isInteger(recovery) && recovery >= 0)).toBe(true);
}

/** An op's latency quantile in a phase with its 95% interval, from the report's own histogram. */
export function latencyAt(report: RunReport, op: string, phase: string, q: number): Estimate {
  const encoded = report.ops.find((o) => o.op === op && o.phase === phase)?.histograms.latency;
  expect(encoded, `${op} in ${phase} kept a latency histogram`).toBeDefined();
  const estimate = quantileEstimate(decodeHistogram(encoded as string), q);
  expect(estimate, `${op} in ${phase}: enough samples for p${q * 100}`).not.toBeNull();
  return estimate as Estimate;
}
