/**
 * The team's own app under the rehearsal, per provider: the example app started by `npm start` against the
 * stack, driven over HTTP, deployed as a platform deploys it — out of rotation, drain, SIGTERM, up to
 * stopTimeout for every process of its group, then SIGKILL — and the verdict and findings of a deploy whose
 * migration holds its lock: the same at any --duration-scale, naming the op, the lock and the no-instance
 * window. Then, once (the app is a local process whatever the stack): worse-behaved deploys, a crash, and
 * what a signal or a SIGKILL of rehearse leaves.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { RunReport } from "../../reports/schema.ts";
import { resultOf } from "../helpers/actions.ts";
import {
  LOAD_BEGAN,
  processesOfRun,
  readReport,
  runRehearse,
  startRehearse,
  waitForStack,
} from "../helpers/rehearse-process.ts";
import { leftoversOf, NOTHING_LEFT, newStateDir, portAccepts, providersUnderTest, testEnv } from "../helpers/stack.ts";

const DEPLOY = fileURLToPath(new URL("../fixtures/scenarios/deploy-verdict.ts", import.meta.url));
const scenario = (name: string) => fileURLToPath(new URL(`../../scenarios/${name}.ts`, import.meta.url));
const APP_DIR = fileURLToPath(new URL("../../examples/dashboard-app", import.meta.url));

/** Pids of the example app's processes started by the run that used `stateDir` (their cwd is the app's). */
function appProcesses(stateDir: string): number[] {
  return processesOfRun(stateDir).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`) === APP_DIR;
    } catch {
      return false; // gone meanwhile
    }
  });
}

/** The app's node processes (not npm, not the shell, not its setup's migrate). */
function serverProcesses(stateDir: string): number[] {
  return appProcesses(stateDir).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("node\u0000server.js");
    } catch {
      return false;
    }
  });
}

async function deploy(provider: string, flags: string[], env: Record<string, string> = {}) {
  const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
  const stateDir = newStateDir();
  const run = await runRehearse(
    ["run", DEPLOY, "--provider", provider, "--out", out, "--no-progress", ...flags],
    { ...testEnv(stateDir), ...env },
    150_000,
  );
  const report = readReport(out, "deploy-verdict");
  const findings = readFileSync(join(out, "deploy-verdict", "findings.txt"), "utf8");
  const logs = readdirSync(join(out, "deploy-verdict"))
    .filter((f) => /^app-\d+\.log$/.test(f))
    .map((f) => readFileSync(join(out, "deploy-verdict", f), "utf8"));
  return { run, report, findings, logs, stateDir };
}

/** The failed latency budget of the deploy phase names the op that broke it. */
function deployVerdict(report: RunReport) {
  const budget = report.thresholds.find((t) => t.metric === "latency{phase:deploy}");
  return { ok: budget?.ok, op: budget?.op, windowed: budget?.window?.worst !== undefined };
}

const SCALES_PROVIDER = providersUnderTest().includes("native") ? "native" : "testcontainers";

describe.each(providersUnderTest())("deploying the app under test (%s)", (provider) => {
  it("a rolling deploy with a lock-holding migration: every instance stops gracefully, no request fails, and it FAILS on the op the lock slowed, named, at ×1 and ×0.5 alike", async () => {
    // A drain of 0.5 s, as a preStop sleep gives: with none, a request written on a kept-alive connection an
    // instant before its stop can meet the app closing its idle connections (seen: 1 in ~3000).
    // The same verdict at two scales is a property of the windows, not of the provider: ×1 runs on one (native
    // when it is under test), ×0.5 on the other (both on one provider when it is the only one).
    const single = providersUnderTest().length === 1;
    const scales = single ? ["1", "0.5"] : provider === SCALES_PROVIDER ? ["1"] : ["0.5"];
    const runs = [];
    // ×0.5 drives the load from two worker threads: the drain must stop traffic from both (none fails on a
    // stopping instance), and their failure counts reach the deploy's record.
    const workers = (scale: string) => (scale === "0.5" ? ["--workers", "2"] : []);
    for (const scale of scales)
      runs.push(await deploy(provider, ["--duration-scale", scale, ...workers(scale)], { DRAIN: "500ms" }));
    for (const [i, { report, run, findings, logs, stateDir }] of runs.entries()) {
      expect(report.generator.reasons).toEqual([]);
      expect(report.generator.workers?.length ?? 1).toBe(scales[i] === "0.5" ? 2 : 1);
      expect(run.stdout).toMatch(
        scales[i] === "0.5" ? /load from 2 worker threads \(--workers\)/ : /load from the main thread \(auto: /,
      );
      const restart = resultOf(report, "app-restart");
      expect(restart).toMatchObject({ mode: "rolling", instances: 3, maxSurge: 1, maxUnavailable: 0, migrated: true });
      // As a platform stops a pod: out of rotation, SIGTERM, every process of the group gone — no SIGKILL.
      // `npm start` leads the group as npm, which ends by the SIGTERM it passed on; the app's own exit 0 is
      // in its log ("shutdown complete", right before process.exit(0)).
      expect(restart?.stops).toHaveLength(3);
      for (const stop of restart?.stops ?? []) {
        expect(stop).toMatchObject({ signal: "SIGTERM", outcome: "graceful", failedRequests: 0 });
        expect(stop.drainMs).toBeGreaterThanOrEqual(500);
        expect(stop.exitSignal === "SIGTERM" || stop.exitCode === 0).toBe(true);
        expect(stop.exitedAfterMs).not.toBeNull();
      }
      expect(restart?.failedRequests).toBe(0);
      expect(restart?.unavailableMs).toBe(0);
      // Each old instance finished its in-flight requests and closed its pools (its log says so).
      expect(
        logs.filter((l) => l.includes("shutdown complete: in-flight requests finished, pools closed")),
      ).toHaveLength(6);
      // Every instance stopped, the end's too: on record with its exit, none killed.
      expect(report.app?.instances.every((i) => i.exitedMs !== null && i.signal !== "SIGKILL")).toBe(true);
      // The verdict: the deploy phase's p95 < 300 held for no op the lock stalled, named, in its worst window.
      expect(run.code).toBe(99);
      expect(deployVerdict(report).ok).toBe(false);
      expect(["search", "event"]).toContain(deployVerdict(report).op);
      expect(report.statusReasons.join("\n")).toMatch(
        /latency\{phase:deploy\} p\(95\)<300 \(actual [\d.]+ on (search|event)/,
      );
      // The findings name the lock (held, backends waiting) and the ops it slowed.
      expect(findings).toMatch(
        /its migration held its lock 1(\.\d)? s \(taken after \d+ ms\) while up to \d+ backends waited on Lock/,
      );
      // The ops the lock slowed, named: by their recovery (peaked at) or, when a loaded host's baseline had seconds
      // as slow (seen: baseline p95 105 ms), by the phase's rise.
      expect(findings).toMatch(/(search|event) p95 (peaked at|rose from [\d.]+ ms to) [\d.]+ ms/);
      expect(appProcesses(stateDir)).toEqual([]);
    }
    // The same verdict whatever the phase's length: at ×1 only the rolling window sees the 1 s stall.
    for (const { report } of runs) expect(deployVerdict(report)).toMatchObject({ ok: false });
    if (scales.includes("1")) expect(deployVerdict(runs[0]?.report as RunReport).windowed).toBe(true);
    // The server's signals once per phase, not repeated on each op.
    const first = runs[0]?.report as RunReport;
    expect(first.phaseSignals?.find((p) => p.phase === "deploy")?.peakLockWaiters).toBeGreaterThan(0);
    expect(first.deltas.every((d) => d.cacheHitRatio === null)).toBe(true); // app ops make no lookups of ours
  }, 240_000);
});

/** The app runs as a local process whatever the stack's provider: its own behaviours are tested once, and so is
 * the all-at-once deploy (its window with no instance is the fleet's, not the stack's). */
describe.each(providersUnderTest().slice(0, 1))("the app under test, its process (%s stack)", (provider) => {
  it("all at once: the findings name the window with no ready instance and the requests that failed in it", async () => {
    const { report, findings } = await deploy(provider, ["--duration-scale", "0.5"], { DEPLOY: "all" });
    const restart = resultOf(report, "app-restart");
    expect(restart?.mode).toBe("all");
    expect(restart?.unavailableMs).toBeGreaterThan(0);
    expect(restart?.failedRequests).toBeGreaterThan(0);
    expect(findings).toMatch(
      /no ready instance for [\d.]+ (ms|s) \([\d.]+ s–[\d.]+ s\); \d+ requests failed meanwhile/,
    );
    for (const i of report.app?.instances ?? []) expect(await portAccepts(i.port)).toBe(false);
  }, 180_000);

  it("an app that stops accepting at once, with no drain: the failed requests are on record, on the stopping instances", async () => {
    // Searches take 500 ms, so requests are in flight on every instance at any moment, as on a busy app. (With
    // 150 ms, 0–2 failed in all on a slow, loaded machine: too few to be sure of one.)
    // From two worker threads: the failures each counts on the stopping instances add up in the record.
    const { report } = await deploy(provider, ["--duration-scale", "0.5", "--workers", "2"], {
      SHUTDOWN: "abrupt",
      DRAIN: "0s",
      SEARCH_DELAY_MS: "500",
    });
    const restart = resultOf(report, "app-restart");
    expect(restart?.failedOnStopping).toBeGreaterThan(0);
    expect(restart?.failedOnStopping).toBe(restart?.stops?.reduce((n, s) => n + s.failedRequests, 0));
    expect(restart?.stops?.some((s) => s.failedRequests > 0)).toBe(true);
  }, 150_000);

  it("an app that ignores SIGTERM is SIGKILLed after its stopTimeout, and reported as killed", async () => {
    const { report, logs } = await deploy(provider, ["--duration-scale", "0.5"], {
      IGNORE_SIGTERM: "1",
      STOP_TIMEOUT: "1500ms",
    });
    const stops = resultOf(report, "app-restart")?.stops ?? [];
    expect(stops).toHaveLength(3);
    for (const stop of stops) expect(stop).toMatchObject({ outcome: "killed", exitedAfterMs: null });
    expect(logs.some((l) => l.includes("SIGTERM ignored"))).toBe(true);
    // Not before its grace period: each was gone only after its 1.5 s were out.
    for (const stop of stops) {
      const gone = report.app?.instances[stop.instance - 1]?.exitedMs ?? 0;
      expect(gone - stop.signalAtMs).toBeGreaterThanOrEqual(1_500);
    }
  }, 150_000);

  it("an app instance that dies mid-run: recorded with its signal and log, errors counted, the run ends on time", async () => {
    const stateDir = newStateDir();
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const run = startRehearse(
      ["run", scenario("app-cold-cache"), "--provider", provider, "--duration-scale", "0.2", "--out", out],
      testEnv(stateDir),
    );
    // Once the load has begun (the app is up and serving), kill one instance's process group from
    // outside: a crash, not a deploy.
    await run.waitFor(LOAD_BEGAN, 90_000);
    const [victim] = serverProcesses(stateDir);
    process.kill(-Number(readFileSync(`/proc/${victim}/stat`, "utf8").split(") ")[1]?.split(" ")[2]), "SIGKILL");
    expect(await run.exited).toBe(99);
    const report = readReport(out, "app-cold-cache");
    const crashed = report.app?.instances.filter((i) => i.crashed);
    expect(crashed).toHaveLength(1);
    expect(crashed?.[0]?.signal).toBe("SIGKILL");
    const first = readFileSync(join(out, "app-cold-cache", "findings.txt"), "utf8").split("\n")[0];
    expect(first).toMatch(/^1\. app instance \d \(port \d+\) exited at [\d.]+ s \(killed by SIGKILL\)/);
    const failed = report.ops.reduce((n, o) => n + o.errorsByClass.connection, 0);
    expect(failed).toBeGreaterThan(0);
    expect(appProcesses(stateDir)).toEqual([]);
  }, 120_000);

  it("SIGINT mid-run: exit 105, the app stopped; after a SIGKILL of rehearse, clean removes the app too", async () => {
    const stateDir = newStateDir();
    const env = testEnv(stateDir);
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const args = ["run", scenario("app-cold-cache"), "--provider", provider, "--duration-scale", "0.3", "--out", out];
    const interrupted = startRehearse(args, env);
    const tempDirs = await waitForStack(interrupted.child.pid ?? 0, stateDir);
    await interrupted.waitFor(LOAD_BEGAN, 90_000);
    interrupted.child.kill("SIGINT");
    expect(await interrupted.exited).toBe(105);
    expect(readReport(out, "app-cold-cache").status).toBe("aborted");
    expect(appProcesses(stateDir)).toEqual([]);
    expect(await leftoversOf({ id: "-", ports: [], tempDirs })).toEqual(NOTHING_LEFT);

    const killed = startRehearse([...args.slice(0, -1), mkdtempSync(join(tmpdir(), "rehearse-test-out-"))], env);
    await killed.waitFor(LOAD_BEGAN, 90_000);
    killed.child.kill("SIGKILL");
    await killed.exited;
    expect(serverProcesses(stateDir)).toHaveLength(2);
    const clean = await runRehearse(["clean"], env);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/killed the process groups of app-/);
    expect(appProcesses(stateDir)).toEqual([]);
  }, 150_000);
});
