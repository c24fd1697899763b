/**
 * The README's first command, as a new user runs it: the steady-state scenario, full length, on the embedded
 * default. Run alone (its own vitest group): the run judges its generator on a 10 ms dispatch-lag tolerance
 * (10% of its 100 ms budgets), and with another test file's stack and app on the same two cores 1–2% of
 * iterations started later than that, an invalid run, as rehearse should call it. A user's first run is on a
 * machine doing nothing else; this test's is too.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { hostCpuLine } from "../../reports/host-cpu.ts";
import { readReport, runRehearse } from "../helpers/rehearse-process.ts";
import { newStateDir, testEnv } from "../helpers/stack.ts";

const STEADY_STATE = fileURLToPath(new URL("../../scenarios/steady-state.ts", import.meta.url));

describe("the README's first command", () => {
  it("run scenarios/steady-state.ts on the embedded default, full length: passes, exit 0", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const run = await runRehearse(["run", STEADY_STATE, "--out", out], testEnv(newStateDir()), 120_000);
    const report = readReport(out, "steady-state");
    console.log(`steady-state on ${report.provider}: ${report.status}; ${hostCpuLine(report)}`);
    expect(run.stdout).toContain("steady-state on");
    expect(report.generator.reasons).toEqual([]);
    expect(report.thresholds.filter((t) => !t.ok)).toEqual([]);
    expect(report.phases.map((p) => p.name)).toEqual(["warmup", "steady"]);
    expect(report.baseline).toBe("steady");
    expect(run.code).toBe(0);
    expect(report.status).toBe("passed");
  }, 240_000);
});
