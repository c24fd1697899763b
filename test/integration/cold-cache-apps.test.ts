/**
 * Staging's first job, rehearsed on two app shapes: the example app (ESM, node:http, pg, ioredis) and an
 * Express shop (CommonJS, its own env names, a TypeScript helper with an enum, started by npm start). The
 * app's cache is flushed under load; the recovery and refill times rehearse reports are checked against the
 * per-second series in report.json, computed here independently; a fault with no effect has no recovery time;
 * the servers' hit ratio is the server's, once per phase.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { RecoveryRecord, RefillRecord, RunReport } from "../../reports/schema.ts";
import { resultOf } from "../helpers/actions.ts";
import { readReport, runRehearse } from "../helpers/rehearse-process.ts";
import { newStateDir, providersUnderTest, testEnv } from "../helpers/stack.ts";

const EXAMPLE = fileURLToPath(new URL("../../scenarios/app-cold-cache.ts", import.meta.url));
const SHOP = fileURLToPath(new URL("../fixtures/apps/express-shop/rehearse/cold-cache.ts", import.meta.url));

async function run(file: string, name: string, provider: string, scale: string) {
  const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
  const result = await runRehearse(
    ["run", file, "--provider", provider, "--duration-scale", scale, "--out", out, "--no-progress"],
    testEnv(newStateDir()),
    150_000,
  );
  expect(result.stderr).not.toMatch(/cannot be loaded|unknown/);
  return { report: readReport(out, name), findings: readFileSync(join(out, name, "findings.txt"), "utf8") };
}

/**
 * From the series alone, with a yardstick of the test's own: a second is high when its p95 tops every baseline
 * second's, or when it and a neighbour both top every two-second stretch of the baseline (the slower of each
 * pair's faster second: a one-second stall does not last two). Rehearse's out-of-band seconds are high ones that
 * are also unlikely under the baseline, so its excursion can end no later than the high seconds do. `firstHigh`:
 * the first high second within 2 s of the fault (the rise is visible). `lastHigh`: the last high second of the
 * fault's excursion as the definition reads, high seconds fewer than stableFor (5 s) apart from the action's end
 * and from each other. No lower bound of the test's own on when the rise ended: any yardstick short of
 * rehearse's p-values has seconds it calls high that those rightly do not (a second just over a loaded
 * baseline's slowest), and one with a margin (twice the slowest) found no second at all when a busy host's
 * baseline had a 38 ms second against 34–61 ms misses.
 */
function highSeconds(report: RunReport, r: RecoveryRecord, actionEndMs: number, untilMs: number) {
  const s = report.perSecond.ops[r.op];
  const base = report.phases.find((p) => p.name === "baseline");
  if (!s || !base) throw new Error(`no series for ${r.op}`);
  const at = (i: number) => report.perSecond.originMs + i * 1000;
  const inBaseline = (i: number) => at(i) >= base.startMs && at(i) + 1000 <= base.endMs;
  const baseSeconds = s.p95Ms.flatMap((p, i) => (p !== null && inBaseline(i) ? [p] : []));
  const baseMax = Math.max(...baseSeconds);
  const baseStretch = Math.max(...baseSeconds.slice(1).map((p, i) => Math.min(p, baseSeconds[i] ?? p)));
  const beyond = (i: number) => (s.p95Ms[i] ?? 0) > baseStretch;
  const high: number[] = [];
  s.p95Ms.forEach((p95, i) => {
    if (at(i) + 1000 <= r.fromMs || at(i) >= untilMs) return;
    if ((p95 ?? 0) > baseMax || (beyond(i) && (beyond(i - 1) || beyond(i + 1)))) high.push(at(i));
  });
  const firstHigh = high.find((t) => t <= r.fromMs + 2_000);
  let lastHigh: number | undefined;
  let inBandSince = actionEndMs;
  for (const t of high) {
    if (t > actionEndMs && t - inBandSince >= 5_000) break;
    lastHigh = t;
    inBandSince = t + 1000;
  }
  const p95At = (ms: number) => s.p95Ms[Math.round((ms - report.perSecond.originMs) / 1000)] ?? null;
  return { baseStretch, firstHigh, lastHigh, p95At };
}

/** Redis' own hit ratio per sampler second, low by more than 3.1 standard deviations of its baseline (α ≈ 0.001). */
function lastLowRatioSecond(report: RunReport, f: RefillRecord, untilMs: number): number | undefined {
  let last: number | undefined;
  for (let i = 1; i < report.timeline.length; i++) {
    const a = report.timeline[i - 1]?.redis;
    const b = report.timeline[i]?.redis;
    const at = report.timeline[i - 1]?.tMs ?? 0;
    if (!a || !b || at + 1000 <= f.fromMs || at >= untilMs) continue;
    const hits = b.keyspaceHits - a.keyspaceHits;
    const n = hits + b.keyspaceMisses - a.keyspaceMisses;
    const p = f.band.baselineRatio;
    if (n > 0 && (hits - n * p) / Math.sqrt(n * p * (1 - p)) < -3.1) last = at;
  }
  return last;
}

/**
 * Each shape on one provider, the providers in turn (as the shipped scenarios): what is under test is the app's
 * shape and the timing, and the flush itself runs on both providers in cli-run.test.ts. Both on both took
 * 200 s of the suite's 15 minutes.
 */
const SHAPES = [
  {
    what: "the example app (ESM, node:http)",
    file: EXAMPLE,
    name: "app-cold-cache",
    scale: "0.5",
    cached: "dashboard",
  },
  {
    what: "an Express shop (CommonJS, its own env names, npm start)",
    file: SHOP,
    name: "cold-cache",
    scale: "1",
    cached: "product",
  },
];

describe("a cold cache on the team's app, two app shapes, each on one provider in turn", () => {
  SHAPES.forEach((shape, i) => {
    const providers = providersUnderTest();
    const provider = providers[i % providers.length] as string;
    it(`${shape.what} on ${provider}: recovery and refill timed from the flush, as the per-second series show`, async () => {
      const { report, findings } = await run(shape.file, shape.name, provider, shape.scale);
      expect(report.generator.reasons).toEqual([]);
      const flushIndex = report.actions.findIndex((a) => a.name === "flush-cache");
      const flush = report.actions[flushIndex];
      const untilMs =
        report.actions.find((a) => a.startMs > (flush?.endMs ?? 0))?.startMs ?? report.phases.at(-1)?.endMs ?? 0;
      // The cached op slowed visibly after the flush, and rehearse timed its recovery within ~1 s of the series.
      const recovery = report.recoveries?.find((r) => r.actionIndex === flushIndex && r.op === shape.cached);
      const { baseStretch, firstHigh, lastHigh, p95At } = highSeconds(
        report,
        recovery as RecoveryRecord,
        flush?.endMs ?? 0,
        untilMs,
      );
      expect(firstHigh).toBeDefined();
      if (recovery?.state === "recovered") {
        const at = recovery.recoveredAtMs ?? 0;
        expect(recovery.recoveryMs).toBeGreaterThan(0);
        // Recovered after the rise began, no later than the second after its last high one, and the second
        // before it was still slower than any two-second stretch of the baseline.
        expect(at).toBeGreaterThan(firstHigh ?? Number.POSITIVE_INFINITY);
        expect(at).toBeLessThanOrEqual((lastHigh ?? 0) + 1_000);
        expect(p95At(at - 1_000)).toBeGreaterThan(baseStretch);
      } else {
        // A busy host's slow seconds within stableFor of the excursion lengthen it, up to the window's end (the
        // suite runs files side by side): then not recovered, and the series must show high seconds that late.
        expect(recovery?.state).toBe("not-recovered");
        expect(lastHigh ?? 0).toBeGreaterThanOrEqual(untilMs - 6_000);
      }
      // Redis' hit ratio fell and refilled (or had not by the end): timed from the flush, as its counters show.
      const refill = report.refills?.find((f) => f.actionIndex === flushIndex && f.source === "redis");
      expect(refill?.state).not.toBe("unaffected");
      expect(refill?.lowestRatio).toBeLessThan(refill?.band.baselineRatio ?? 0);
      const low = lastLowRatioSecond(report, refill as RefillRecord, untilMs);
      if (refill?.state === "refilled") {
        expect(refill.refilledAtMs ?? 0).toBeGreaterThan((low ?? 0) - 1_000);
        expect(refill.refilledAtMs ?? 0).toBeLessThanOrEqual((low ?? 0) + 2_000);
      } else expect((low ?? 0) + 5_000).toBeGreaterThan(untilMs - 5_000); // still low near the end
      expect(findings).toMatch(
        /flush-cache at [\d.]+ s emptied \d+ keys \(prefix \w+:\); Redis' hit ratio fell from \d+% to \d+%/,
      );
      // The servers' hit ratio: once per phase, and the deltas carry no per-op hit ratio for an app's ops.
      expect(report.phaseSignals?.find((p) => p.phase === "fault")?.deltaRedisHitRatio).toBeLessThan(0);
      expect(report.deltas.every((d) => d.cacheHitRatio === null)).toBe(true);
      if (shape.file === SHOP) {
        // The squeeze to 1 GB evicted nothing: an op whose series shows no second slower than every baseline
        // second while it lasted and for stableFor after has no recovery time, and the findings say so. A busy
        // host can slow a second then (the suite runs files side by side): that second is judged like any other,
        // as the series show it, never assumed away.
        const squeezeIndex = report.actions.findIndex((a) => a.name === "maxmemory");
        const squeeze = report.actions[squeezeIndex];
        const after = report.recoveries?.filter((r) => r.actionIndex === squeezeIndex) ?? [];
        expect(after.map((r) => r.op).sort()).toEqual(["orders", "product"]);
        const runEnd = report.phases.at(-1)?.endMs ?? 0;
        for (const r of after) {
          const { lastHigh } = highSeconds(report, r, squeeze?.endMs ?? 0, runEnd);
          // A slower second is not yet an effect: rehearse's band is what the baseline's distribution allows a
          // second of that many requests (α 0.001), wider than "slower than every baseline second" on 20 a second.
          if (lastHigh === undefined) expect([r.op, r.state, r.recoveryMs]).toEqual([r.op, "unaffected", null]);
          else if (r.state === "recovered") expect(r.recoveredAtMs ?? 0).toBeLessThanOrEqual(lastHigh + 1_000);
          else if (r.state === "not-recovered") expect(lastHigh).toBeGreaterThanOrEqual(runEnd - 6_000);
        }
        if (after.every((r) => r.state === "unaffected"))
          expect(findings).toMatch(/maxmemory at [\d.]+ s squeezed Redis to 1gb .*no measurable effect/);
        expect(Number(resultOf(report, "maxmemory")?.evictedKeys)).toBe(0);
        // The shop's own env names reached it: it listened on APP_PORT, read PG_CONNECTION_STRING and CACHE_URL.
        expect(report.ops.find((o) => o.op === "product" && o.phase === "baseline")?.statusCounts).toEqual({
          "200": report.ops.find((o) => o.op === "product" && o.phase === "baseline")?.count,
        });
      }
    }, 180_000);
  });
});
