/**
 * `rehearse capacity` against ground truth. The model (the fixture
 * capacity-hold.ts): every request holds one of PgBouncer's P = 4 server
 * connections for H = 20 ms, so the pool serves at most P / H = 200
 * requests/s. Constant arrivals below that find a connection free; above it
 * the queue at PgBouncer grows by (R − 200) a second, and so does every
 * request's wait. The search must put the capacity within 10% of 200/s and
 * name pool wait as what broke first. (A finite step sees an overload only
 * once its queue has pushed p95 past the budget: with 6 s steps and a 300 ms
 * budget that is a few percent above the true ceiling, inside the 10%.) The search runs its steps from two
 * load threads (`--workers 2`); test/integration-alone/capacity-limits.test.ts runs them from one.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixture, readCapacity, STEPS } from "../helpers/capacity.ts";
import { runRehearse, startRehearse } from "../helpers/rehearse-process.ts";
import { newStateDir, providersUnderTest, registeredTempDirs, testEnv } from "../helpers/stack.ts";

const CEILING = 4 / 0.02;

/**
 * On one provider, the other than the SIGINT test's below: the search and its model are the same code on both,
 * and both together were a minute of the suite's 15. The providers' PgBouncers are one Debian package.
 */
const holdProvider = providersUnderTest().includes("testcontainers") ? "testcontainers" : "native";

describe(`rehearse capacity (${holdProvider})`, () => {
  const provider = holdProvider;
  it("finds P/H = 200/s within 10% and names pool wait as what broke first", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const run = await runRehearse(
      // From two load threads: each step's schedule split between them, their clients' waits merged.
      ["capacity", fixture("capacity-hold"), "--provider", provider, "--out", out, "--workers", "2", ...STEPS],
      testEnv(newStateDir()),
      240_000,
    );
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/capacity-hold: load from 2 worker threads \(--workers\)/);
    const report = readCapacity(out, "capacity-hold");
    console.log(`capacity-hold on ${provider}:\n${run.stdout}`);
    expect(report.status).toBe("found");
    expect(report.capacityRate).toBeGreaterThanOrEqual(CEILING * 0.9);
    expect(report.capacityRate).toBeLessThanOrEqual(CEILING * 1.1);
    expect(report.firstFailingRate).toBeGreaterThan(report.capacityRate as number);
    expect(report.brokeFirst?.kind).toBe("pool_wait");
    expect(report.brokeFirst?.evidence).toContain("PgBouncer's 4 server connections were all busy");
    // Every breach the search believed was seen twice, unless it missed its budget twice over.
    const marginal = report.steps.filter((s) => s.verdict === "failed" && !s.clearBreach && !s.repeat);
    for (const s of marginal)
      expect(
        report.steps.some((t) => t.repeat && t.rate === s.rate),
        `${s.rate}/s repeated`,
      ).toBe(true);
    for (const file of ["capacity.md", "capacity.html", "capacity-junit.xml"])
      expect(existsSync(join(out, "capacity-hold", file))).toBe(true);
  }, 300_000);
});

describe("rehearse capacity, stopped", () => {
  const provider = providersUnderTest().includes("native") ? "native" : "testcontainers";

  it("SIGINT mid-search: exit 105, the steps so far written, marked aborted, nothing left", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const stateDir = newStateDir();
    const run = startRehearse(
      [
        "capacity",
        fixture("capacity-hold"),
        "--provider",
        provider,
        "--out",
        out,
        "--start",
        "100",
        "--step-duration",
        "4s",
        "--warmup",
        "1s",
      ],
      testEnv(stateDir),
    );
    // The first step's line (after the one saying how many load threads), then the signal during the second.
    await run.waitFor(/^ {2}step \d/, 60_000);
    await new Promise((r) => setTimeout(r, 1_500));
    run.child.kill("SIGINT");
    const t0 = performance.now();
    expect(await run.exited).toBe(105);
    expect(performance.now() - t0).toBeLessThan(15_000);
    const report = readCapacity(out, "capacity-hold");
    expect(report.status).toBe("aborted");
    expect(report.steps.length).toBeGreaterThanOrEqual(1);
    expect(registeredTempDirs(stateDir)).toEqual([]);
  }, 120_000);
});
