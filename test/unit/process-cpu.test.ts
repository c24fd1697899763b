/**
 * Whose CPU a second was: a staging app served on this machine (the target's app.baseUrl) is the app's, the
 * run's other parts started here (`--segment`, the same `--start-at`) are rehearse's, and only the rest is a
 * neighbour's ("other"), which a finding and the compare's "disturbed" read.
 */
import { cpus } from "node:os";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ProcStat } from "../../core/procfs.ts";
import { ProcessCpu } from "../../harness/sampler/process-cpu.ts";
import { isPartOf } from "../../harness/sampler/sibling-parts.ts";

const proc = (pid: number, ppid: number, cpuS: number, name = "node"): ProcStat => ({
  pid,
  ppid,
  pgrp: pid,
  name,
  state: "S",
  cpuS,
});

describe("the sampler's CPU by part", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("counts a loopback staging app as the app and the run's other parts here as rehearse, not as others", () => {
    const cpu = new ProcessCpu();
    const at = (t: number) => [
      proc(process.pid, 1, 10 + 0.2 * t),
      proc(900, 1, 5 + 0.3 * t), // another part of the run
      proc(901, 900, 1 + 0.1 * t), // its child (npx's node)
      proc(800, 1, 3 + 0.4 * t), // the staging app, listening on app.baseUrl's port
      proc(700, 1, 2 + 0.25 * t, "chromium"), // a neighbour
    ];
    const groups = { appGroups: [], services: {}, appPids: [800], partPids: [900, 901] };
    cpu.sample(at(0), groups, undefined);
    vi.advanceTimersByTime(1000);
    // The host was busy 1.25 cores, of which 0.2 + 0.3 + 0.1 (rehearse) and 0.4 (the app) were the rehearsal's.
    const sample = cpu.sample(at(1), groups, { busyPct: (1.25 / cpus().length) * 100, stealPct: 0, iowaitPct: 0 });
    expect(sample).toMatchObject({ rehearse: 0.6, app: 0.4, appMax: 0.4, other: 0.25 });
    expect(sample?.topOther).toEqual([{ name: "chromium", cores: 0.25 }]);
  });

  it("takes a staging app's processes one by one for its busiest instance (a cluster's workers are instances)", () => {
    const cpu = new ProcessCpu();
    const at = (t: number) => [proc(800, 1, 1 + 0.1 * t), proc(801, 800, 1 + 0.5 * t), proc(802, 800, 1 + 0.3 * t)];
    const groups = { appGroups: [], services: {}, appPids: [800, 801, 802] };
    cpu.sample(at(0), groups, undefined);
    vi.advanceTimersByTime(1000);
    expect(cpu.sample(at(1), groups, undefined)).toMatchObject({ app: 0.9, appMax: 0.5 });
  });
});

describe("a part of the same run", () => {
  const startAt = Date.parse("2026-12-06T21:09:06.000Z");
  it.each([
    [["node", "rehearse.js", "run", "s.ts", "--segment", "2/3", "--start-at", "2026-12-06T21:09:06.000Z"], true],
    [["npm", "exec", "rehearse", "run", "s.ts", "--segment=3/3", "--start-at=2026-12-06T21:09:06Z"], true],
    [["node", "rehearse.js", "run", "s.ts", "--segment", "2/3", "--start-at", "2026-12-06T21:10:00Z"], false],
    [["node", "rehearse.js", "run", "s.ts", "--start-at", "2026-12-06T21:09:06Z"], false],
    [["node", "server.js"], false],
  ])("%j: %s", (argv, expected) => {
    expect(isPartOf(argv, startAt)).toBe(expected);
  });
});
