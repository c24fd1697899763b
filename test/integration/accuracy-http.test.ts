/**
 * Accuracy with HTTP against ground truth (integration: a real HTTP app in a
 * process of its own, real undici sockets).
 *
 * Setup: an open-loop load of R = 200 GET /s at the app for 15 s, with the
 * app frozen (SIGSTOP to its process group) for S ≈ 1 s every T = 5 s. The
 * http client holds C = 8 keep-alive connections per instance, so a freeze
 * catches at most 8 requests on a socket; the rest wait for one.
 *
 * Prediction, the same open-loop model as the database accuracy test (ρ =
 * R·service/C, well under 1%): a request arriving τ into a freeze waits S − τ,
 * so the q-quantile of latency is L0 + S − (1 − q)(1 − ρ)·T, L0 the unstalled
 * latency. The wait is connection wait (the HTTP analogue of pool wait), not
 * service time, except for the C requests caught on a socket.
 *
 * The same with the CLI driving the load from two worker threads (`--workers 2`, C split 4 + 4): one freeze
 * of S at the fault phase's start, so its p95 is L0 + S − 0.05·F (F the phase's length), as one thread's.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppInstance } from "../../harness/app/app-instance.ts";
import { HttpTargets } from "../../harness/clients/http.ts";
import { percentilesMs } from "../../harness/metrics/histogram.ts";
import { planLoad, runLoad } from "../../harness/runner/run-load.ts";
import { startHelloApp } from "../helpers/hello-app.ts";
import { readReport, runRehearse } from "../helpers/rehearse-process.ts";
import { newStateDir, providersUnderTest, testEnv } from "../helpers/stack.ts";

const RATE = 200;
const DURATION_MS = 15_000;
const PERIOD_MS = 5_000;
const FREEZE_MS = 1_000;
const FREEZE_AT_MS = [2_000, 7_000, 12_000];
const CONNECTIONS = 8;

async function freezeOnSchedule(app: AppInstance, t0: number): Promise<number[]> {
  const lengths: number[] = [];
  for (const at of FREEZE_AT_MS) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, t0 + at - performance.now())));
    const p = performance.now();
    app.pause();
    await new Promise((resolve) => setTimeout(resolve, FREEZE_MS));
    app.resume();
    lengths.push(performance.now() - p);
  }
  return lengths;
}

const within10 = (measured: number, predicted: number) => Math.abs(measured - predicted) / predicted;

describe("open-loop accuracy over HTTP against ground truth (a real app process)", () => {
  let app: AppInstance;
  let targets: HttpTargets;
  beforeAll(async () => {
    app = await startHelloApp(mkdtempSync(join(tmpdir(), "rehearse-test-app-")));
    targets = new HttpTargets({ connections: CONNECTIONS, timeoutMs: 10_000 });
    targets.setOrigins([app.origin]);
  });
  afterAll(async () => {
    await targets?.close();
    await app?.stop("SIGTERM", 5_000);
  });

  it("p95/p99 as predicted; the stall is in connection wait", async () => {
    const ops = { home: async ({ http }: { http: { get: (p: string) => Promise<unknown> } }) => http.get("/") };
    const executors = planLoad(
      {
        steady: {
          executor: "constant-arrival-rate",
          rate: RATE,
          duration: `${DURATION_MS}ms`,
          preAllocatedVUs: 50,
          maxVUs: 2_000,
          exec: "home",
        },
      },
      ops,
      "http accuracy test",
    );
    const measure = async () => {
      const t0 = performance.now() + 5;
      const [outcome, freezes] = await Promise.all([
        runLoad(executors, ops, { pool: {} as never, redis: {} as never, cachePrefix: "acc:", http: targets }),
        freezeOnSchedule(app, t0),
      ]);
      return { outcome, freezes };
    };
    // As in the database test: the one run is judged, and its generator must have kept its schedule.
    const run = await measure();
    expect(run.outcome.generator.reasons, "generator").toEqual([]);
    const series = run.outcome.store.all()[0];
    if (!series) throw new Error("no series recorded");
    const lat = percentilesMs(series.trends.latency);
    const wait = percentilesMs(series.trends.pool_wait);
    const service = percentilesMs(series.trends.service_time);
    const S = run.freezes.reduce((a, b) => a + b, 0) / run.freezes.length;
    const L0 = lat.p50;
    const rho = (RATE / 1000) * (service.p50 / CONNECTIONS);
    const predicted = { p95: L0 + S - 0.05 * (1 - rho) * PERIOD_MS, p99: L0 + S - 0.01 * (1 - rho) * PERIOD_MS };
    console.log(JSON.stringify({ S, L0, rho, predicted, measured: { p95: lat.p95, p99: lat.p99 }, wait, service }));

    expect(series.iterations).toBe((RATE * DURATION_MS) / 1000);
    expect(series.errorCount).toBe(0);
    expect(series.statusCounts).toEqual({ "200": (RATE * DURATION_MS) / 1000 });
    expect(within10(lat.p95, predicted.p95)).toBeLessThan(0.1);
    expect(within10(lat.p99, predicted.p99)).toBeLessThan(0.1);
    expect(within10(wait.p95, lat.p95)).toBeLessThan(0.1);
    expect(service.p99).toBeLessThan(lat.p99 / 10);
  });
});

describe("open-loop accuracy over HTTP from two worker threads (the CLI, a real app process)", () => {
  const provider = providersUnderTest().includes("native") ? "native" : "testcontainers";
  const FIXTURE = fileURLToPath(new URL("../fixtures/scenarios/http-freeze.ts", import.meta.url));

  it(`--workers 2: every request of the schedule, the freeze's p95/p99 as predicted (${provider} stack)`, async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const run = await runRehearse(
      ["run", FIXTURE, "--provider", provider, "--workers", "2", "--out", out, "--no-progress"],
      testEnv(newStateDir()),
      120_000,
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const report = readReport(out, "http-freeze");
    expect(report.generator.reasons).toEqual([]);
    expect(report.generator.workers).toHaveLength(2);
    expect(report.ops.reduce((n, o) => n + o.count, 0)).toBe(200 * 8);
    expect(report.ops.reduce((n, o) => n + o.errors, 0)).toBe(0);
    const freeze = report.actions.find((a) => a.name === "freeze");
    const fault = report.phases.find((p) => p.name === "fault");
    const baseline = report.ops.find((o) => o.phase === "baseline");
    const measured = report.ops.find((o) => o.phase === "fault");
    if (!freeze || freeze.endMs === null || !fault || !baseline || !measured) throw new Error("no freeze or phases");
    const S = freeze.endMs - freeze.startMs;
    const F = fault.endMs - fault.startMs;
    const L0 = baseline.latencyMs.p50;
    const predicted = { p95: L0 + S - 0.05 * F, p99: L0 + S - 0.01 * F };
    console.log(JSON.stringify({ S, F, L0, predicted, measured: measured.latencyMs }));
    expect(within10(measured.latencyMs.p95, predicted.p95)).toBeLessThan(0.1);
    expect(within10(measured.latencyMs.p99, predicted.p99)).toBeLessThan(0.1);
  }, 150_000);
});
