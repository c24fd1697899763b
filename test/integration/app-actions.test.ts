/**
 * App-level chaos end to end, through the real CLI: a worker burst adds
 * instances that open their own pools and take traffic, a freeze stalls
 * every request for its duration, a kill fails requests until the app is
 * back; and a staging app reached by `app.baseUrl` in a target file. The app
 * is a local process whatever the stack's provider: one provider suffices.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import getPort from "get-port";
import { afterAll, describe, expect, it } from "vitest";
import type { StartedStack } from "../../containers/index.ts";
import { resultOf } from "../helpers/actions.ts";
import { readReport, runRehearse } from "../helpers/rehearse-process.ts";
import { newStateDir, providersUnderTest, startTestStack, testEnv } from "../helpers/stack.ts";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/scenarios/${name}.ts`, import.meta.url));
const APP_DIR = fileURLToPath(new URL("../../examples/dashboard-app", import.meta.url));
const provider = providersUnderTest().includes("native") ? "native" : "testcontainers";

describe(`app-level actions (${provider})`, () => {
  it("app-scale adds instances for its duration, freeze stalls requests, kill fails them until the app is back", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const run = await runRehearse(
      ["run", fixture("app-actions"), "--provider", provider, "--out", out, "--no-progress"],
      testEnv(newStateDir()),
      120_000,
    );
    expect(run.code, run.stderr).toBe(0);
    const report = readReport(out, "app-actions");
    const byName = Object.fromEntries(report.actions.map((a) => [a.name, a]));
    // The burst: two instances started, ready, and stopped when it ended (then the kill's restarts).
    expect(byName["app-scale"]?.result).toMatchObject({ added: 2, removed: 2 });
    const instances = report.app?.instances ?? [];
    expect(instances).toHaveLength(3 + Number(resultOf(report, "kill")?.instances));
    const scaled = instances.slice(1, 3);
    for (const i of scaled) {
      expect(i.readyMs).toEqual(expect.any(Number));
      expect(i.exitedMs).toBeGreaterThan(i.readyMs as number);
    }
    // The freeze and the kill reach every instance running when they start (one, once the burst is over: how
    // soon that is depends on the host, so the count is read from the instances' own records).
    const liveAt = (name: string) => {
      const at = byName[name]?.startMs ?? Number.NaN;
      return instances.filter((i) => i.startedMs <= at && (i.exitedMs === null || i.exitedMs > at)).length;
    };
    expect(liveAt("freeze")).toBeGreaterThanOrEqual(1);
    expect(byName.freeze?.result).toMatchObject({ service: "app", instances: liveAt("freeze") });
    const dashboard = report.ops.find((o) => o.op === "dashboard");
    expect(dashboard?.latencyMs.max).toBeGreaterThan(800);
    // The kill: requests failed as connection errors until the supervisor-like restart, ~1 s later.
    expect(byName.kill?.result).toMatchObject({ service: "app", instances: liveAt("kill") });
    // Killed by rehearse's own action: its exit is on record, but it is not the app's crash.
    expect(instances[0]).toMatchObject({ signal: "SIGKILL" });
    expect(instances[0]?.crashed).toBeUndefined();
    expect(Number(resultOf(report, "kill")?.downMs)).toBeGreaterThanOrEqual(1_000);
    expect(dashboard?.errorsByClass.connection).toBeGreaterThan(0);
    expect(dashboard?.statusCounts?.["0"]).toBeGreaterThan(0);
    // Requests grouped by k6's name tag, not by account id.
    expect(dashboard?.requests?.map((r) => r.name)).toEqual(["/dashboard/:account"]);
    expect(dashboard?.requests?.[0]?.count).toBe(dashboard?.count);
  }, 150_000);
});

describe(`a staging app reached by app.baseUrl in a target file (${provider})`, () => {
  let staging: StartedStack | undefined;
  let app: ChildProcess | undefined;

  afterAll(async () => {
    app?.kill("SIGTERM");
    await staging?.teardown();
  });

  it("drives HTTP at the given URL instead of starting the scenario's app", async () => {
    const stateDir = newStateDir();
    staging = await startTestStack(provider, stateDir);
    const env = {
      ...process.env,
      DATABASE_URL: staging.urls.pgbouncer,
      DIRECT_DATABASE_URL: staging.urls.postgres,
      REDIS_URL: staging.urls.redis,
      ACCOUNTS: "50",
      EVENTS_PER_ACCOUNT: "20",
    };
    const migrate = spawn("node", ["migrate.js"], { cwd: APP_DIR, env, stdio: "ignore" });
    expect(await new Promise((resolve) => migrate.once("exit", resolve))).toBe(0);
    const port = await getPort();
    app = spawn("node", ["server.js"], { cwd: APP_DIR, env: { ...env, PORT: String(port) }, stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      const up = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      await sleep(100);
    }
    const target = join(stateDir, "staging.json");
    writeFileSync(
      target,
      JSON.stringify({ ...staging.urls, name: "staging", app: { baseUrl: `http://127.0.0.1:${port}` } }),
    );
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    // The fixture's own app block and actions would start and kill an app: the target's app replaces it,
    // and app chaos on a target is refused before anything starts, so a plain HTTP scenario runs here.
    const scenario = join(stateDir, "staging-app.ts");
    writeFileSync(
      scenario,
      `export default {
  app: { command: "node does-not-exist.js" },
  workload: { ops: { dashboard: ({ http, iteration }) => http.get("/dashboard/" + (1 + (iteration % 50)), { name: "/dashboard/:account" }) } },
  scenarios: { d: { executor: "constant-arrival-rate", exec: "dashboard", rate: 30, duration: "3s", preAllocatedVUs: 5, maxVUs: 100 } },
};\n`,
    );
    const run = await runRehearse(
      ["run", scenario, "--target", target, "--out", out, "--no-progress"],
      testEnv(stateDir),
      60_000,
    );
    expect(run.code, run.stderr).toBe(0);
    const report = readReport(out, "staging-app");
    expect(report.provider).toBe("external");
    expect(report.app).toBeUndefined();
    const dashboard = report.ops.find((o) => o.op === "dashboard");
    expect(dashboard?.statusCounts).toEqual({ "200": 90 });
  }, 120_000);
});
