/**
 * `rehearse run` as a real child process on a real stack: a passing run
 * exits 0 with report.json; a failed threshold exits 99; SIGINT mid-run
 * exits 105 with the report written, marked aborted, and nothing left.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { listManagedContainers, tryDockerClient } from "../../containers/testcontainers/docker.ts";
import type { RunReport } from "../../reports/report.ts";
import { runRehearse, startRehearse } from "../helpers/rehearse-process.ts";
import {
  leftoversOf,
  NOTHING_LEFT,
  newStateDir,
  providersUnderTest,
  registeredTempDirs,
  testEnv,
} from "../helpers/stack.ts";

const TINY = fileURLToPath(new URL("../fixtures/scenarios/tiny.ts", import.meta.url));
const readReport = (out: string) => JSON.parse(readFileSync(join(out, "tiny", "report.json"), "utf8")) as RunReport;

describe.each(providersUnderTest())("rehearse run, real processes (%s)", (provider) => {
  it("passes: exit 0, report.json with the contract's fields", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const run = await runRehearse(["run", TINY, "--provider", provider, "--out", out], testEnv(newStateDir()), 90_000);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("PASSED");
    const report = readReport(out);
    expect(report).toMatchObject({ schemaVersion: 1, status: "passed", scenario: "tiny", provider });
    expect(report.ops[0]).toMatchObject({ op: "select", phase: "run", count: 100, errors: 0 });
    expect(report.ops[0]?.histograms.latency).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(report.thresholds.every((t) => t.ok)).toBe(true);
    expect(report.generator.valid).toBe(true);
    expect(report.client).toMatchObject({ poolSize: 10, redis: { enableAutoPipelining: false } });
    expect(report.timeline.length).toBeGreaterThanOrEqual(1);
  });

  it("a failed threshold: exit 99, status failed, the actual value reported", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const env = { ...testEnv(newStateDir()), TINY_THRESHOLD: "p(95)<0.001" };
    const run = await runRehearse(["run", TINY, "--provider", provider, "--out", out], env, 90_000);
    expect(run.code).toBe(99);
    expect(run.stdout).toContain("✗ latency{op:select} p(95)<0.001");
    const report = readReport(out);
    expect(report.status).toBe("failed");
    expect(report.thresholds.find((t) => !t.ok)?.actual).toBeGreaterThan(0.001);
  });

  it("SIGINT during start-up: exit 105, an aborted report with no numbers, nothing left", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const stateDir = newStateDir();
    const run = startRehearse(["run", TINY, "--provider", provider, "--out", out], testEnv(stateDir));
    const pid = run.child.pid ?? 0;
    let tempDirs: string[] = [];
    for (let i = 0; i < 600; i++) {
      tempDirs = registeredTempDirs(stateDir);
      const client = await tryDockerClient(1_000);
      const containers = client ? (await listManagedContainers(client)).filter((c) => c.ownerPid === pid) : [];
      if (tempDirs.length > 0 || containers.length > 0) break;
      await sleep(20);
    }
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(105);
    const report = readReport(out);
    expect(report).toMatchObject({ status: "aborted", provider, ops: [] });
    expect(await leftoversOf({ id: "-", ports: [], tempDirs })).toEqual(NOTHING_LEFT);
  });

  it("SIGINT mid-run: exit 105, report written and marked aborted, nothing left", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const stateDir = newStateDir();
    const env = { ...testEnv(stateDir), TINY_DURATION: "60s" };
    const run = startRehearse(["run", TINY, "--provider", provider, "--out", out], env);
    const pid = run.child.pid ?? 0;
    // Started once the stack exists (a container or a registered temp dir), then a moment of load.
    let tempDirs: string[] = [];
    for (let i = 0; i < 600; i++) {
      tempDirs = registeredTempDirs(stateDir);
      const client = await tryDockerClient(1_000);
      const containers = client ? (await listManagedContainers(client)).filter((c) => c.ownerPid === pid) : [];
      if (tempDirs.length > 0 || containers.length > 0) break;
      await sleep(50);
    }
    await sleep(3_000);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(105);
    const report = readReport(out);
    expect(report.status).toBe("aborted");
    expect(report.ops[0]?.count).toBeGreaterThan(0);
    expect(report.durationMs).toBeLessThan(30_000);
    const client = await tryDockerClient(1_000);
    expect(client ? (await listManagedContainers(client)).filter((c) => c.ownerPid === pid) : []).toEqual([]);
    expect(await leftoversOf({ id: "-", ports: [], tempDirs })).toEqual(NOTHING_LEFT);
  });
});
