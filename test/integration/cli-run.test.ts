/**
 * `rehearse run` as a real child process on a real stack: a passing run
 * exits 0 with report.json; a failed threshold exits 99; SIGINT mid-run
 * exits 105 with the report written, marked aborted, and nothing left.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { listManagedContainers, tryDockerClient } from "../../containers/testcontainers/docker.ts";
import type { ActionName } from "../../reports/schema.ts";
import { resultOf, resultsOf } from "../helpers/actions.ts";
import {
  actionHolding,
  actionRunning,
  deployWorkerProcesses,
  LOAD_BEGAN,
  readReport,
  runRehearse,
  SEEDING,
  startRehearse,
  waitForStack,
} from "../helpers/rehearse-process.ts";
import {
  leftoversOf,
  NOTHING_LEFT,
  newStateDir,
  providersUnderTest,
  registeredTempDirs,
  testEnv,
} from "../helpers/stack.ts";

const TINY = fileURLToPath(new URL("../fixtures/scenarios/tiny.ts", import.meta.url));
const FREEZE = fileURLToPath(new URL("../fixtures/scenarios/freeze.ts", import.meta.url));
const ACTIONS = fileURLToPath(new URL("../fixtures/scenarios/actions.ts", import.meta.url));
const CHAOS = fileURLToPath(new URL("../fixtures/scenarios/chaos.ts", import.meta.url));
const BURST_ABORT = fileURLToPath(new URL("../fixtures/scenarios/burst-abort.ts", import.meta.url));
const HANG = fileURLToPath(new URL("../fixtures/scenarios/hang.ts", import.meta.url));
const GROWTH = fileURLToPath(new URL("../../scenarios/growth-incident.ts", import.meta.url));
const FAILING_ACTION = fileURLToPath(new URL("../fixtures/scenarios/failing-action.ts", import.meta.url));
const SEEDED = fileURLToPath(new URL("../fixtures/scenarios/seeded.ts", import.meta.url));

/** TCP sockets the processes hold, besides their IPC channel: how many connections a deploy worker made. */
function connectedSockets(pids: number[]): number {
  let sockets = 0;
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) sockets++;
      }
    } catch {
      // gone meanwhile
    }
  }
  return Math.max(0, sockets - pids.length);
}

describe.each(providersUnderTest())("rehearse run, real processes (%s)", (provider) => {
  it("passes: exit 0, report.json with the contract's fields", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const run = await runRehearse(["run", TINY, "--provider", provider, "--out", out], testEnv(newStateDir()), 90_000);
    expect(run.stderr).toBe("");
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain("PASSED");
    const report = readReport(out);
    expect(report).toMatchObject({ schemaVersion: 1, status: "passed", scenario: "tiny", provider });
    expect(report.ops[0]).toMatchObject({ op: "select", phase: "run", count: 100, errors: 0 });
    expect(report.ops[0]?.histograms.latency).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(report.thresholds.every((t) => t.ok)).toBe(true);
    expect(report.generator.valid).toBe(true);
    expect(report.client).toMatchObject({ poolSize: 10, redis: { enableAutoPipelining: false } });
    expect(report.timeline.length).toBeGreaterThanOrEqual(1);
    // The host's CPU each second (Linux): busy, I/O wait and steal as shares of the whole machine.
    for (const { host } of report.timeline) {
      expect(host?.busyPct).toBeGreaterThan(0);
      expect((host?.busyPct ?? 0) + (host?.iowaitPct ?? 0) + (host?.stealPct ?? 0)).toBeLessThanOrEqual(100.1);
    }
    expect(run.stdout).toMatch(/host CPU: run \d+(\.\d)?% busy, steal ≤ \d+(\.\d)?%/);
  });

  it("an action that fails at run time fails the run (exit 99, named in every format)", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const run = await runRehearse(
      ["run", FAILING_ACTION, "--provider", provider, "--out", out],
      testEnv(newStateDir()),
      90_000,
    );
    expect(run.code, run.stdout + run.stderr).toBe(99);
    const report = readReport(out, "failing-action");
    expect(report.status).toBe("failed");
    expect(report.thresholds.every((t) => t.ok)).toBe(true); // the load itself was fine
    expect(report.statusReasons[0]).toMatch(/^action flush-cache at [\d.]+ s failed: /);
    expect(run.stdout).toContain("action flush-cache at");
    const files = ["report.md", "report.html", "junit.xml", "findings.txt"].map((f) =>
      readFileSync(join(out, "failing-action", f), "utf8"),
    );
    for (const text of files) expect(text).toMatch(/flush-cache/);
    expect(files[2]).toMatch(/name="flush-cache at [\d.]+ s" time="0">\s*<failure/);
  });

  it("a query that never returns: the run ends at gracefulStop, its iterations interrupted and failed, nothing left", async () => {
    const stateDir = newStateDir();
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const t0 = performance.now();
    const run = await runRehearse(["run", HANG, "--provider", provider, "--out", out], testEnv(stateDir), 90_000);
    // 3 s of load, 2 s of gracefulStop, start-up and a bounded teardown: far from pg_sleep's 600 s.
    expect(performance.now() - t0).toBeLessThan(40_000);
    expect(run.code, run.stdout + run.stderr).toBe(99);
    const report = readReport(out, "hang");
    expect(report.ops[0]).toMatchObject({ count: 0, interrupted: 15 });
    expect(report.thresholds[0]).toMatchObject({ metric: "errors{op:hang,phase:run}", ok: false, actual: 1 });
    expect(registeredTempDirs(stateDir)).toEqual([]);
  });

  it("SIGINT during seeding: exit 105 within seconds, no load run, nothing left", async () => {
    const stateDir = newStateDir();
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const run = startRehearse(["run", GROWTH, "--provider", provider, "--out", out], testEnv(stateDir));
    const tempDirs = await waitForStack(run.child.pid ?? 0, stateDir);
    // Seeding a million rows takes seconds on any machine: the signal lands inside it.
    await run.waitFor(SEEDING, 90_000);
    run.child.kill("SIGINT");
    const t0 = performance.now();
    expect(await run.exited).toBe(105);
    expect(performance.now() - t0).toBeLessThan(10_000);
    const report = readReport(out, "growth-incident");
    expect(report.status).toBe("aborted");
    expect(report.ops).toEqual([]); // the load never ran
    expect(await leftoversOf({ id: "-", ports: [], tempDirs })).toEqual(NOTHING_LEFT);
  });

  it("SIGINT during start-up: exit 105, an aborted report with no numbers, nothing left", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const stateDir = newStateDir();
    const run = startRehearse(["run", TINY, "--provider", provider, "--out", out], testEnv(stateDir));
    const tempDirs = await waitForStack(run.child.pid ?? 0, stateDir);
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
    const tempDirs = await waitForStack(pid, stateDir);
    await run.waitFor(LOAD_BEGAN, 90_000);
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

  it("SIGINT mid-fault: the freeze is reverted, the report says so, nothing is left", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const stateDir = newStateDir();
    const run = startRehearse(["run", FREEZE, "--provider", provider, "--out", out], testEnv(stateDir));
    const tempDirs = await waitForStack(run.child.pid ?? 0, stateDir);
    // The freeze starts 2 s into the load and lasts 60 s: interrupt once the progress says it runs.
    await run.waitFor(actionRunning("freeze"), 90_000);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(105);
    const report = readReport(out, "freeze");
    expect(report.status).toBe("aborted");
    expect(report.actions).toHaveLength(1);
    expect(report.actions[0]).toMatchObject({ name: "freeze", result: { service: "pgbouncer", reverted: true } });
    expect(report.ops.find((o) => o.phase === "baseline")?.count).toBeGreaterThan(0);
    expect(await leftoversOf({ id: "-", ports: [], tempDirs: [...tempDirs, ...registeredTempDirs(stateDir)] })).toEqual(
      NOTHING_LEFT,
    );
  });

  it("every action runs on the timeline and records what it did", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    await runRehearse(["run", ACTIONS, "--provider", provider, "--out", out], testEnv(newStateDir()), 120_000);
    const report = readReport(out, "actions");
    const byName = Object.fromEntries(report.actions.map((a) => [a.name, a]));
    expect(Object.keys(byName).sort()).toEqual(
      ["backup", "flush-cache", "freeze", "maxmemory", "pgbouncer-pause", "restart"].sort(),
    );
    expect(byName.backup?.result).toMatchObject({ exitCode: 0, restoreExitCode: 0, rowCountsOk: true });
    expect(Number(resultOf(report, "backup")?.bytes)).toBeGreaterThan(100_000);
    expect(byName.maxmemory?.result).toMatchObject({ value: "2mb", previous: "0", reverted: true });
    expect(byName["pgbouncer-pause"]?.result).toMatchObject({ command: "PAUSE", reverted: true });
    expect(Number(resultOf(report, "restart")?.downMs)).toBeGreaterThan(0);
    expect(byName.freeze?.result).toMatchObject({ service: "postgres", reverted: true });
    expect(byName["flush-cache"]?.result).toMatchObject({ scope: "all", mode: "sync" });
    for (const action of report.actions) expect(action.result.error, action.name).toBeUndefined();
    // Timed faults last their duration (± scheduling), on the report's clock.
    expect((byName["pgbouncer-pause"]?.endMs ?? 0) - (byName["pgbouncer-pause"]?.startMs ?? 0)).toBeGreaterThanOrEqual(
      900,
    );
    const faults = report.ops.find((o) => o.phase === "faults");
    expect(faults?.count).toBeGreaterThan(0);
  });

  it("the second set of actions: kill, reconnect, reload, CLIENT PAUSE, migrations, a deploy burst", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const stateDir = newStateDir();
    await runRehearse(["run", CHAOS, "--provider", provider, "--out", out], testEnv(stateDir), 120_000);
    const report = readReport(out, "chaos");
    const named = <N extends ActionName>(name: N) => resultsOf(report, name);
    expect(named("pgbouncer-reload")).toEqual([
      expect.objectContaining({ settings: { default_pool_size: { before: "10", after: "3" } }, restored: true }),
    ]);
    expect(named("redis-client-pause")).toEqual([
      expect.objectContaining({ mode: "write", pausedMs: 1000, reverted: true }),
      expect.objectContaining({ mode: "all", pausedMs: 500, reverted: true }),
    ]);
    expect(named("pgbouncer-reconnect")[0]).toMatchObject({ command: "RECONNECT" });
    const [holder, blocked] = named("migration");
    expect(holder).toMatchObject({ migrated: true });
    expect(Number(holder?.migrationMs)).toBeGreaterThanOrEqual(1500);
    expect(blocked).toMatchObject({ migrated: false, lockTimedOut: true });
    expect(named("kill")[0]).toMatchObject({ service: "postgres", reverted: true });
    expect(Number(named("kill")[0]?.downMs)).toBeGreaterThanOrEqual(1000);
    expect(named("deploy-burst")[0]).toMatchObject({
      migrated: true,
      workers: 5,
      connections: 10,
      warmIterations: 50,
      warmErrors: 0,
      reverted: true,
    });
    expect(Number(named("deploy-burst")[0]?.pgbouncerPausedMs)).toBeGreaterThan(0);
    for (const action of report.actions) expect(action.result.error, action.name).toBeUndefined();
    // The load kept going through every fault, and the stack answered again after the kill.
    const faults = report.ops.filter((o) => o.phase === "faults");
    expect(faults.reduce((n, o) => n + o.count, 0)).toBeGreaterThan(500);
    const last = report.perSecond.ops.search?.count ?? [];
    expect(last.slice(-2).some((n) => n > 0)).toBe(true);
    expect(deployWorkerProcesses(stateDir)).toEqual([]);
  });

  it("SIGINT while a deploy burst's workers are connected: exit 105, workers gone, nothing left", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const stateDir = newStateDir();
    const run = startRehearse(["run", BURST_ABORT, "--provider", provider, "--out", out], testEnv(stateDir));
    const tempDirs = await waitForStack(run.child.pid ?? 0, stateDir);
    // Bounded: the burst starts 1 s into the load; once its 4 workers are warm the progress says it holds them
    // (for 30 s), and their connections (2 to PgBouncer and 1 to Redis each) show as sockets.
    await run.waitFor(actionHolding("deploy-burst"), 90_000);
    expect(deployWorkerProcesses(stateDir)).toHaveLength(1);
    expect(connectedSockets(deployWorkerProcesses(stateDir))).toBeGreaterThanOrEqual(12);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(105);
    const report = readReport(out, "burst-abort");
    expect(report.status).toBe("aborted");
    expect(report.actions[0]).toMatchObject({ name: "deploy-burst", result: { workers: 4, reverted: true } });
    expect(deployWorkerProcesses(stateDir)).toEqual([]);
    expect(await leftoversOf({ id: "-", ports: [], tempDirs: [...tempDirs, ...registeredTempDirs(stateDir)] })).toEqual(
      NOTHING_LEFT,
    );
  });
});

/** What does not depend on the provider (verdicts, the optional flag, the compare), on the first one. */
describe.each(providersUnderTest().slice(0, 1))("rehearse run, its verdict's logic (%s)", (provider) => {
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

  it("an optional action that fails at run time: the run passes, and says the verdict does not count it", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const optional = await runRehearse(
      ["run", FAILING_ACTION, "--provider", provider, "--out", out],
      { ...testEnv(newStateDir()), FLUSH_OPTIONAL: "1" },
      90_000,
    );
    expect(optional.code, optional.stdout).toBe(0);
    const again = readReport(out, "failing-action");
    expect(again.status).toBe("passed");
    expect(again.actions.find((a) => a.name === "flush-cache")).toMatchObject({ optional: true });
    expect(readFileSync(join(out, "failing-action", "findings.txt"), "utf8")).toContain(
      "action flush-cache failed (optional: the verdict does not count it)",
    );
  });

  it("run --compare: a second run of a seeded scenario is compared with the first, not refused", async () => {
    const first = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const second = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    await runRehearse(["run", SEEDED, "--provider", provider, "--out", first], testEnv(newStateDir()), 90_000);
    const base = readReport(first, "seeded");
    expect(base.seed).toMatchObject({ events: 20_000, checkpointed: true });
    const run = await runRehearse(
      ["run", SEEDED, "--provider", provider, "--out", second, "--compare", join(first, "seeded", "report.json")],
      testEnv(newStateDir()),
      90_000,
    );
    // Seeding took a different time; that does not make the runs incomparable (it once did).
    expect(run.stderr).not.toContain("cannot be compared");
    expect([0, 99]).toContain(run.code);
    expect(run.stdout).toMatch(
      // A neighbour busy during either run adds ", N disturbed" (said, never judged).
      /rehearse compare: seeded: \d+ regression\(s\), \d+ improvement\(s\), \d+ within noise, \d+ not judged(, \d+ disturbed)? in 5 checks/,
    );
    const comparison = JSON.parse(readFileSync(join(second, "seeded", "comparison.json"), "utf8"));
    // One run a side: the noise is what each run's values moved between its halves (a run without phases too).
    expect(comparison).toMatchObject({ baseRuns: 1, newRuns: 1, noise: { baseRuns: 1, newRuns: 1, withinRuns: true } });
    expect(comparison.rows.map((r: { metric: string }) => r.metric)).toEqual([
      "latency p50",
      "latency p95",
      "latency p99",
      "pool wait p95",
      "error rate",
    ]);
    expect(comparison.rows[1]).toMatchObject({
      phase: "run",
      op: "search",
      baseInterval: [expect.any(Number), expect.any(Number)],
    });
  });
});
