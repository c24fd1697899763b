/**
 * SIGINT and SIGTERM at a moment picked at random — start-up, seeding, the
 * load, inside the backup or the deploy burst — per provider: rehearse stops
 * within seconds, exits 105, writes its report marked aborted, and leaves no
 * process, container, temp dir or deploy worker behind. The moments come from
 * a seeded generator (REHEARSE_TRIAL_SEED), printed so a failure can be replayed.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { listManagedContainers, tryDockerClient } from "../../containers/testcontainers/docker.ts";
import { seededRandom } from "../helpers/random.ts";
import { deployWorkerProcesses, readReport, startRehearse } from "../helpers/rehearse-process.ts";
import {
  leftoversOf,
  NOTHING_LEFT,
  newStateDir,
  providersUnderTest,
  registeredTempDirs,
  testEnv,
} from "../helpers/stack.ts";

const SCENARIO = fileURLToPath(new URL("../fixtures/scenarios/signal-trial.ts", import.meta.url));
const SEED = Number(process.env.REHEARSE_TRIAL_SEED ?? 20_261_123);
/** From the process's start: start-up (1–3 s), seeding (~0.5 s), then 8 s of load and 12 s of quiet, so every
 * moment of the window lands before the run ends however fast the machine is. */
const WINDOW_MS = { from: 200, to: 11_000 };

const next = seededRandom(SEED);
const trials = providersUnderTest().flatMap((provider) =>
  (["SIGINT", "SIGTERM"] as const).map((signal) => ({
    provider,
    signal,
    atMs: Math.round(WINDOW_MS.from + next() * (WINDOW_MS.to - WINDOW_MS.from)),
  })),
);

describe(`signal trials (REHEARSE_TRIAL_SEED=${SEED})`, () => {
  for (const { provider, signal, atMs } of trials) {
    it(`${provider}: ${signal} at ${atMs} ms: exit 105 within seconds, report aborted, nothing left`, async () => {
      console.log(`signal trial (REHEARSE_TRIAL_SEED=${SEED}): ${provider} ${signal} at ${atMs} ms`);
      const stateDir = newStateDir();
      const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
      const run = startRehearse(
        ["run", SCENARIO, "--provider", provider, "--out", out, "--no-progress"],
        testEnv(stateDir),
      );
      const pid = run.child.pid ?? 0;
      // Whatever started by the moment of the signal, for the leftovers check.
      let tempDirs: string[] = [];
      const deadline = performance.now() + atMs;
      while (performance.now() < deadline) {
        tempDirs = registeredTempDirs(stateDir).length > 0 ? registeredTempDirs(stateDir) : tempDirs;
        await sleep(Math.min(50, Math.max(0, deadline - performance.now())));
      }
      tempDirs = registeredTempDirs(stateDir).length > 0 ? registeredTempDirs(stateDir) : tempDirs;
      run.child.kill(signal);
      const t0 = performance.now();
      const code = await run.exited;
      const stopMs = performance.now() - t0;
      console.log(`  stopped ${Math.round(stopMs)} ms after ${signal}, exit ${code}`);
      expect(code, run.stderr()).toBe(105);
      expect(stopMs).toBeLessThan(15_000);
      if (existsSync(join(out, "signal-trial", "report.json"))) {
        expect(readReport(out, "signal-trial").status).toBe("aborted");
      } else {
        // Only a signal before the scenario's run began (while loading) writes no report.
        expect(run.stderr()).toContain("stopping");
      }
      const client = await tryDockerClient(1_000);
      const owned = client ? (await listManagedContainers(client)).filter((c) => c.ownerPid === pid) : [];
      expect(owned).toEqual([]);
      expect(await leftoversOf({ id: "-", ports: [], tempDirs })).toEqual(NOTHING_LEFT);
      expect(deployWorkerProcesses(stateDir)).toEqual([]);
    }, 60_000);
  }
});
