/**
 * The shipped scenarios, scaled down, through the real CLI on a real stack:
 * each fault phase moves its deltas in the direction the scenario promises,
 * and recovery is measured (a number, or null: "not recovered").
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { hostCpuLine } from "../../reports/host-cpu.ts";
import type { Delta, RunReport } from "../../reports/schema.ts";
import { resultOf } from "../helpers/actions.ts";
import { keyPaths } from "../helpers/key-paths.ts";
import { deployWorkerProcesses, readReport, runRehearse } from "../helpers/rehearse-process.ts";
import { newStateDir, providersUnderTest, testEnv } from "../helpers/stack.ts";

const COLD_CACHE_KEYS = JSON.parse(
  readFileSync(fileURLToPath(new URL("../fixtures/reports/cold-cache-keys.json", import.meta.url)), "utf8"),
) as string[];
const scenario = (name: string) => fileURLToPath(new URL(`../../scenarios/${name}.ts`, import.meta.url));

/** Room for one run of the longest shipped scenario, scaled down, on a slow machine. */
const TEST_TIMEOUT_MS = 240_000;

/** Runs a shipped scenario scaled down; returns its report, exit code and stdout. One run: it is judged. */
async function runScaled(name: string, provider: string, scale: string, timeoutMs: number, stateDir = newStateDir()) {
  return runShipped(name, ["--provider", provider, "--duration-scale", scale], timeoutMs, stateDir);
}

async function runShipped(name: string, flags: string[], timeoutMs: number, stateDir = newStateDir()) {
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
function expectVerdict(report: RunReport, code: number | null, promised: "passed" | "failed"): void {
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

function expectRecoveryMeasured(delta: Delta | undefined): void {
  expect(delta).toHaveProperty("recoveryMs");
  const recovery = delta?.recoveryMs ?? null;
  expect(recovery === null || (Number.isInteger(recovery) && recovery >= 0)).toBe(true);
}

describe("the README's first command", () => {
  it(
    "run scenarios/steady-state.ts on the embedded default, full length, beside the rest of the suite: passes, exit 0",
    async () => {
      const { report, code, stdout } = await runShipped("steady-state", [], 120_000);
      expect(stdout).toContain("steady-state on");
      expect(report.generator.reasons).toEqual([]);
      expect(report.thresholds.filter((t) => !t.ok)).toEqual([]);
      expect(report.phases.map((p) => p.name)).toEqual(["warmup", "steady"]);
      expect(report.baseline).toBe("steady");
      expect(code).toBe(0);
      expect(report.status).toBe("passed");
    },
    TEST_TIMEOUT_MS,
  );
});

/**
 * Each shipped scenario runs on one provider, the providers in turn: every action they use (backup with
 * restore, deploy burst, migration, maxmemory, pgbouncer-reload) also runs on both providers in
 * cli-run.test.ts, so running all four on both doubled six minutes of CI without covering more.
 */
const SHIPPED = ["cold-cache", "backup-overlap", "deploy-burst", "growth-incident"] as const;
const providerFor = (name: (typeof SHIPPED)[number]) => {
  const providers = providersUnderTest();
  return providers[SHIPPED.indexOf(name) % providers.length] as string;
};

describe("shipped scenarios, scaled down, each on one provider in turn", () => {
  it(
    `cold-cache on ${providerFor("cold-cache")}: the flush drops the hit ratio and raises the dashboard's p95, and recovery is timed`,
    async () => {
      const { report, code } = await runScaled("cold-cache", providerFor("cold-cache"), "0.5", 120_000);
      // report.json keeps its fields: the key paths of a real run, pinned. Recorded before the engine/schema
      // split; since then only additions (server pool wait and Redis' hit ratio per phase, outages, the HTTP
      // error classes, PgBouncer's per-second wait), each in the README. Renaming or dropping one fails here.
      expect(keyPaths(report)).toEqual(COLD_CACHE_KEYS);
      expect(report.actions[0]).toMatchObject({ name: "flush-cache", result: { scope: "prefix" } });
      expect(Number(resultOf(report, "flush-cache")?.keysRemoved)).toBeGreaterThan(50);
      const fault = report.deltas.find((d) => d.phase === "fault" && d.op === "dashboard");
      expect(fault?.deltaCacheHitRatio).toBeLessThan(-0.05);
      expect(fault?.deltaP95Ms).toBeGreaterThan(0);
      expectRecoveryMeasured(fault);
      expectVerdict(report, code, "passed");
    },
    TEST_TIMEOUT_MS,
  );

  it(
    `backup-overlap on ${providerFor("backup-overlap")}: the dump succeeds and restores with matching row counts; writes slow while it runs`,
    async () => {
      const { report, code } = await runScaled("backup-overlap", providerFor("backup-overlap"), "0.6", 150_000);
      expectVerdict(report, code, "passed");
      expect(report.actions[0]?.result).toMatchObject({
        exitCode: 0,
        restoreExitCode: 0,
        rowCountsOk: true,
        tablesChecked: 4,
      });
      expect(Number(resultOf(report, "backup")?.bytes)).toBeGreaterThan(500_000);
      expect(Number(resultOf(report, "backup")?.timeToUsableMs)).toBeGreaterThan(0);
      const during = report.deltas.filter((d) => d.phase === "backup");
      expect(during.map((d) => d.op).sort()).toEqual(["export", "search", "write"]);
      for (const d of during) expectRecoveryMeasured(d);
      // Commits wait behind the dump's reads and the restore's writes: the median write slows (1.5–3.2 ms
      // → 2.9–4.9 ms in 18 of 18 runs here). Not p95: the backup adds 5–12 ms to it, the same size as what
      // CPU steal from other guests adds to a short baseline on a noisy day (seen: baseline write p95 26 ms
      // with 12% steal, backup 15 ms) — the report's host-CPU line shows when that happened.
      const writeP50 = (phase: string) => report.ops.find((o) => o.op === "write" && o.phase === phase)?.latencyMs.p50;
      expect(writeP50("backup")).toBeGreaterThan(writeP50("baseline") ?? Number.POSITIVE_INFINITY);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    `deploy-burst on ${providerFor("deploy-burst")}: the migration and 120 new connections make pool wait and p95 rise; workers are gone after`,
    async () => {
      const stateDir = newStateDir();
      const { report, code } = await runScaled("deploy-burst", providerFor("deploy-burst"), "0.5", 150_000, stateDir);
      expectVerdict(report, code, "failed");
      expect(report.actions[0]).toMatchObject({
        name: "deploy-burst",
        result: { migrated: true, workers: 30, connections: 120, warmIterations: 300, warmErrors: 0 },
      });
      const search = report.deltas.find((d) => d.phase === "deploy" && d.op === "search");
      // The migration holds its lock 1 s: searches queue behind it and the client pool fills.
      expect(search?.deltaPoolWaitP95Ms).toBeGreaterThan(50);
      expect(search?.deltaP95Ms).toBeGreaterThan(50);
      expectRecoveryMeasured(search);
      // The per-second series shows the stall inside the deploy phase.
      const deploy = report.phases.find((p) => p.name === "deploy");
      const seconds = report.perSecond.ops.search?.poolWaitP95Ms ?? [];
      const inDeploy = seconds.filter((_, s) => {
        const t = report.perSecond.originMs + s * 1000;
        return deploy !== undefined && t >= deploy.startMs && t < deploy.endMs + 1000;
      });
      expect(Math.max(...inDeploy.map((v) => v ?? 0))).toBeGreaterThan(50);
      expect(deployWorkerProcesses(stateDir)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    `growth-incident on ${providerFor("growth-incident")}: hit ratio falls, p95 rises and PgBouncer clients wait while the backup runs`,
    async () => {
      const { report, code } = await runScaled("growth-incident", providerFor("growth-incident"), "0.5", 150_000);
      expectVerdict(report, code, "passed");
      const byName = Object.fromEntries(report.actions.map((a) => [a.name, a.result]));
      expect(byName.backup).toMatchObject({ exitCode: 0 });
      expect(byName.maxmemory).toMatchObject({ value: "50%", reverted: true });
      expect(Number(resultOf(report, "maxmemory")?.bytes)).toBeGreaterThan(500_000);
      expect(Number(resultOf(report, "maxmemory")?.evictedKeys)).toBeGreaterThan(0);
      const incident = report.deltas.filter((d) => d.phase === "incident");
      const dashboard = incident.find((d) => d.op === "dashboard");
      expect(dashboard?.deltaCacheHitRatio).toBeLessThan(-0.05);
      expect(Math.max(...incident.map((d) => d.deltaP95Ms))).toBeGreaterThan(0);
      // Whether PgBouncer's pool of 6 fills depends on the machine: on a quiet 2-core one the incident keeps
      // at most 1 server connection busy at each 1 s sample (dashboard misses cost ~2.5 ms), on one with
      // CPU steal queries slow and clients queue (cl_waiting up to 10 was seen). Not asserted: the delta
      // reports it either way, and the verdict judges what users felt.
      expectRecoveryMeasured(dashboard);
    },
    TEST_TIMEOUT_MS,
  );
});
