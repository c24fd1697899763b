import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { Progress, progressLine } from "../../harness/cli/progress.ts";
import { PerSecondLatency } from "../../harness/metrics/per-second.ts";
import { progressState } from "../../harness/run/progress-state.ts";

const phases = [
  { name: "baseline", startMs: 0, endMs: 10_000 },
  { name: "fault", startMs: 10_000, endMs: 20_000 },
];

describe("progress", () => {
  it("reports the phase, time left, last second's rate and worst p95 and pool wait", () => {
    const perSecond = new PerSecondLatency();
    for (let i = 0; i < 20; i++) perSecond.record("a", 10, 1);
    perSecond.record("b", 50, 8, true);
    perSecond.tick();
    const state = progressState({
      scenario: "s",
      phases,
      elapsedMs: 12_500,
      perSecond,
      completed: 21,
      errors: 3,
      actions: ["freeze"],
    });
    expect(state).toMatchObject({ phase: "fault", phaseLeftMs: 7_500, runLeftMs: 7_500, ratePerS: 21, errors: 3 });
    expect(state.p95Ms).toBeCloseTo(50, 0);
    expect(state.poolWaitP95Ms).toBeCloseTo(8, 0);
    expect(progressLine(state)).toBe(
      `s 13s | phase fault (8s left, run 8s left) | 21/s, 21 done | p95 ${Number(state.p95Ms?.toFixed(1))}ms | pool wait ${Number(state.poolWaitP95Ms?.toFixed(1))}ms | errors 3 | action: freeze`,
    );
  });

  it("without a TTY writes a plain line every 5 s and at once when something changes; on a TTY redraws one line", () => {
    const perSecond = new PerSecondLatency();
    const at = (elapsedMs: number, completed = 5, actions: string[] = []) =>
      progressState({ scenario: "s", phases, elapsedMs, perSecond, completed, errors: 0, actions });
    const plain = new PassThrough();
    const plainProgress = new Progress(plain, false);
    for (const t of [1_000, 2_000, 6_000, 7_000, 9_000]) plainProgress.update(at(t));
    expect(String(plain.read()).split("\n").filter(Boolean)).toHaveLength(2);
    // Before any completion, then the first completion, a new phase, an action starting and ending: each at once.
    const events = new PassThrough();
    const eventProgress = new Progress(events, false);
    eventProgress.stage("s", "stack up (native) in 1.2 s");
    eventProgress.update(at(1_000, 0));
    eventProgress.update(at(1_500, 0));
    eventProgress.update(at(2_000, 3));
    eventProgress.update(at(10_000, 900));
    eventProgress.update(at(10_500, 950, ["freeze"]));
    eventProgress.update(at(11_000, 1000, ["freeze"]));
    eventProgress.update(at(12_000, 1100));
    const lines = String(events.read()).split("\n").filter(Boolean);
    expect(lines[0]).toBe("  rehearse: s: stack up (native) in 1.2 s");
    expect(lines.slice(1).map((l) => /(\d+) done/.exec(l)?.[1])).toEqual(["0", "3", "900", "950", "1100"]);
    expect(lines[4]).toContain("action: freeze");
    const tty = new PassThrough();
    const ttyProgress = new Progress(tty, true);
    ttyProgress.update(at(1_000));
    ttyProgress.update(at(2_000));
    ttyProgress.done();
    const drawn = String(tty.read());
    expect(drawn.split("\r\u001b[2K")).toHaveLength(4); // three clears: two redraws and done()
    expect(drawn).not.toContain("\n");
  });
});
