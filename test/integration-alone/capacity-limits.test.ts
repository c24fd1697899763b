/**
 * `rehearse capacity` where the app under test is the limit: one instance whose every request burns 5 ms of
 * CPU (test/fixtures/apps/cpu-burn.js) cannot serve more than 1 / 5 ms = 200 requests/s on one core. The
 * search must put the capacity within 15% of that, name the app as what broke first and give its CPU.
 * And a no-op op driven far beyond what one Node process can schedule: generator-bound, never a capacity.
 * Alone (their vitest group): each takes most of both cores, and a neighbour's CPU would make them
 * host-bound, an honest verdict about that machine but not the one these tests are about.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixture, readCapacity, STEPS } from "../helpers/capacity.ts";
import { runRehearse } from "../helpers/rehearse-process.ts";
import { newStateDir, providersUnderTest, testEnv } from "../helpers/stack.ts";

// The app's CPU is the limit here, not a server's: one provider shows it (native when it is under test).
const APP_PROVIDERS = providersUnderTest().includes("native") ? ["native"] : providersUnderTest();

describe.each(APP_PROVIDERS)("rehearse capacity when the app is the limit (%s)", (provider) => {
  it("one instance burning 5 ms of CPU a request: 1 / 5 ms = 200/s within 15%, the app named, its CPU given", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const run = await runRehearse(
      // Within 10% is enough to judge a 15% bound, and two steps shorter than the default 5%.
      ["capacity", fixture("capacity-app"), "--provider", provider, "--out", out, ...STEPS, "--precision", "10"],
      testEnv(newStateDir()),
      240_000,
    );
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const report = readCapacity(out, "capacity-app");
    console.log(`capacity-app on ${provider}:\n${run.stdout}`);
    expect(report.status).toBe("found");
    expect(report.capacityRate).toBeGreaterThanOrEqual(200 * 0.85);
    expect(report.capacityRate).toBeLessThanOrEqual(200 * 1.15);
    expect(report.brokeFirst?.kind).toBe("app");
    expect(report.brokeFirst?.evidence).toMatch(/its busiest instance used (0\.9\d|1\.\d\d) of a core/);
    // The step that broke: the busiest instance near a full core, PgBouncer's pool not waited on.
    const broke = report.steps.find((s) => s.rate === report.firstFailingRate);
    expect(broke?.cpu?.appMax).toBeGreaterThan(0.85);
  }, 300_000);
});

describe("rehearse capacity when rehearse itself is the limit", () => {
  const provider = providersUnderTest().includes("native") ? "native" : "testcontainers";

  it("a no-op op far beyond one Node process: generator-bound, exit 99, never a capacity of the system", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const run = await runRehearse(
      [
        "capacity",
        fixture("capacity-noop"),
        "--provider",
        provider,
        "--out",
        out,
        "--start",
        "300000",
        "--max",
        "5000000",
        "--step-duration",
        "3s",
        "--warmup",
        "1s",
      ],
      testEnv(newStateDir()),
      180_000,
    );
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(99);
    const report = readCapacity(out, "capacity-noop");
    console.log(`capacity-noop on ${provider}:\n${run.stdout}`);
    expect(report.status).toBe("generator-bound");
    expect(report.brokeFirst?.kind).toBe("generator");
    const last = report.steps.at(-1);
    expect(last?.verdict).toBe("generator-bound");
    expect(last?.achievedRate).toBeLessThan(last?.rate as number);
    expect(run.stdout).toContain("GENERATOR-BOUND");
  }, 200_000);
});
