/**
 * backup-overlap, scaled down: a real pg_dump and restore drill under load. Run alone (its own vitest group): its
 * writes commit through WAL fsyncs, and a neighbour's disk work (the package test's npm install, a seed) made
 * them wait: write p95 763 ms after the backup, and 120–190 ms seconds in the baseline already, with iowait up
 * to 39% and the host's CPU at 14–70% (CI, c2a595d). The scenario's promise is about its own backup's I/O.
 */
import { describe, expect, it } from "vitest";
import { resultOf } from "../helpers/actions.ts";
import { expectRecoveryMeasured, expectVerdict, runScaled, TEST_TIMEOUT_MS } from "../helpers/shipped.ts";
import { providersUnderTest } from "../helpers/stack.ts";

const provider = providersUnderTest().includes("native") ? "native" : "testcontainers";

describe("the shipped backup-overlap, scaled down (run alone)", () => {
  it(
    `backup-overlap on ${provider}: the dump succeeds and restores with matching row counts; the verdict holds`,
    async () => {
      const { report, code } = await runScaled("backup-overlap", provider, "0.6", 150_000);
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
      // Not asserted: that writes slow. Their median did in 18 of 18 runs on a quiet machine (1.5–3.2 ms → 2.9–4.9
      // ms), and not on a loaded one (CI, 22.7k tps: 3.6 → 3.2 ms); their p95 moves as much with CPU steal. The
      // report carries the deltas either way; the verdict above is what the scenario promises.
    },
    TEST_TIMEOUT_MS,
  );
});
