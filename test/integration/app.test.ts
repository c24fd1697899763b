/**
 * The team's own app under the rehearsal, per provider: the example app
 * (examples/dashboard-app, node:http + pg + ioredis) started against the
 * stack by the real CLI, driven over HTTP, chaos applied to it, and nothing
 * of it left afterwards — after a run, after SIGINT, and (with `rehearse
 * clean`) after rehearse itself was SIGKILLed.
 */
import { mkdtempSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  LOAD_BEGAN,
  processesOfRun,
  readReport,
  runRehearse,
  startRehearse,
  waitForStack,
} from "../helpers/rehearse-process.ts";
import { leftoversOf, NOTHING_LEFT, newStateDir, portAccepts, providersUnderTest, testEnv } from "../helpers/stack.ts";

const scenario = (name: string) => fileURLToPath(new URL(`../../scenarios/${name}.ts`, import.meta.url));
const APP_DIR = fileURLToPath(new URL("../../examples/dashboard-app", import.meta.url));

/** Pids of the example app's processes started by the run that used `stateDir`: their working directory is
 * the app's folder. */
function appProcesses(stateDir: string): number[] {
  return processesOfRun(stateDir).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`) === APP_DIR;
    } catch {
      return false; // gone meanwhile
    }
  });
}

/** The app's server processes (not its setup's `node migrate.js`). */
function serverProcesses(stateDir: string): number[] {
  return appProcesses(stateDir).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("server.js");
    } catch {
      return false;
    }
  });
}

describe.each(providersUnderTest())("the app under test (%s)", (provider) => {
  it("app-cold-cache: started with the stack's URLs, driven over HTTP; Redis' hit ratio falls and the dashboard's p95 rises; nothing left", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const stateDir = newStateDir();
    const run = await runRehearse(
      ["run", scenario("app-cold-cache"), "--provider", provider, "--duration-scale", "0.3", "--out", out],
      testEnv(stateDir),
      150_000,
    );
    const report = readReport(out, "app-cold-cache");
    expect(report.app?.setup).toEqual([expect.objectContaining({ command: "node migrate.js", exitCode: 0 })]);
    expect(report.app?.instances).toHaveLength(2);
    for (const instance of report.app?.instances ?? []) {
      expect(instance.readyMs).not.toBeNull();
      expect(instance.crashed).toBeUndefined();
      expect(await portAccepts(instance.port)).toBe(false);
    }
    // The app got the stack's URLs: it served from Postgres and Redis through them.
    expect(readFileSync(join(out, "app-cold-cache", "app-setup.log"), "utf8")).toContain("migrated");
    const dashboard = report.ops.find((o) => o.op === "dashboard" && o.phase === "baseline");
    expect(dashboard?.statusCounts).toEqual({ "200": dashboard?.count });
    const fault = report.deltas.find((d) => d.phase === "fault" && d.op === "dashboard");
    expect(fault?.deltaServerCacheHitRatio).toBeLessThan(-0.05);
    expect(fault?.deltaP95Ms).toBeGreaterThan(0);
    expect(fault).toHaveProperty("recoveryMs");
    expect([0, 99]).toContain(run.code);
    expect(appProcesses(stateDir)).toEqual([]);
  }, 180_000);

  it("app-deploy, all at once with a migration: server pool wait rises in PgBouncer; the deploy is recorded", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const stateDir = newStateDir();
    const run = await runRehearse(
      ["run", scenario("app-deploy"), "--provider", provider, "--duration-scale", "0.35", "--out", out],
      testEnv(stateDir),
      150_000,
    );
    const report = readReport(out, "app-deploy");
    const deploy = report.actions.find((a) => a.name === "app-restart");
    expect(deploy?.result).toMatchObject({ mode: "all", instances: 3, migrated: true });
    // Three old instances stopped, three new ones ready.
    expect(report.app?.instances).toHaveLength(6);
    expect(report.app?.instances.every((i) => i.readyMs !== null)).toBe(true);
    // The report is written while the new ones still run; the old ones exited during the deploy.
    expect(report.app?.instances.filter((i) => i.exitedMs !== null)).toHaveLength(3);
    const search = report.deltas.find((d) => d.phase === "deploy" && d.op === "search");
    // The migration holds its lock 1 s while the old instances serve: their queries hold PgBouncer's 6
    // server connections, the rest of the clients queue.
    expect(search?.deltaServerPoolWaitMs).toBeGreaterThan(1);
    expect(search?.peakClWaiting).toBeGreaterThan(0);
    expect(run.code).toBe(99); // expected: the launch-readiness bar does not hold through this deploy
    expect(appProcesses(stateDir)).toEqual([]);
  }, 180_000);
});

/** The app runs as a local process whatever the stack's provider: its crash and leftovers are tested once. */
describe.each(providersUnderTest().slice(0, 1))("the app under test, its process (%s stack)", (provider) => {
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
    process.kill(-Number(readFileSync(`/proc/${victim}/stat`, "utf8").split(" ")[4]), "SIGKILL");
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
    // Two instances left running, each its shell and its node.
    expect(serverProcesses(stateDir)).toHaveLength(4);
    const clean = await runRehearse(["clean"], env);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/killed the process groups of app-/);
    expect(appProcesses(stateDir)).toEqual([]);
  }, 150_000);
});
