/**
 * A service killed from outside mid-run (SIGKILL, or `docker kill`), not by
 * rehearse's own action: the run still ends on time, the report and the first
 * finding name the dead service, and nothing is left behind.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { processesWorkingIn, signalEach } from "../../containers/native/processes.ts";
import { LABEL, listManagedContainers, tryDockerClient } from "../../containers/testcontainers/docker.ts";
import type { ServiceName } from "../../containers/types.ts";
import { LOAD_BEGAN, readReport, startRehearse, waitForStack } from "../helpers/rehearse-process.ts";
import { leftoversOf, NOTHING_LEFT, newStateDir, providersUnderTest, testEnv } from "../helpers/stack.ts";

const SCENARIO = fileURLToPath(new URL("../fixtures/scenarios/crash-target.ts", import.meta.url));
const LABELS = { postgres: "Postgres", pgbouncer: "PgBouncer", redis: "Redis" } as const;

/** Kills one service of the child's stack the way a crash would, from outside rehearse. */
async function killFromOutside(provider: string, ownerPid: number, tempDirs: string[], service: ServiceName) {
  if (provider === "native") {
    // Every process of the service works inside its own directory of the stack's temp dir.
    const pids = tempDirs.flatMap((dir) => processesWorkingIn(join(dir, service)));
    expect(pids.length).toBeGreaterThan(0);
    signalEach(pids, "SIGKILL");
    return;
  }
  const client = await tryDockerClient(3_000);
  if (!client) throw new Error("no Docker engine");
  const containers = await client.container.dockerode.listContainers({
    filters: { label: [`${LABEL.ownerPid}=${ownerPid}`, `${LABEL.service}=${service}`] },
  });
  expect(containers).toHaveLength(1);
  await client.container.dockerode.getContainer(containers[0]?.Id as string).kill({ signal: "SIGKILL" });
}

const SERVICES = ["postgres", "pgbouncer", "redis"] as const;

/** Every service on native (a process of its own each); on testcontainers, when native is under test too, the
 * one whose loss reaches every op: a container is killed the same way whichever service it runs. */
const servicesOn = (provider: string) =>
  provider === "testcontainers" && providersUnderTest().includes("native") ? (["postgres"] as const) : SERVICES;

describe.each(providersUnderTest())("a service killed from outside mid-run (%s)", (provider) => {
  for (const service of servicesOn(provider)) {
    it(`${service}: the run ends on time, the report names it, nothing is left`, async () => {
      const stateDir = newStateDir();
      const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
      const run = startRehearse(["run", SCENARIO, "--provider", provider, "--out", out], testEnv(stateDir));
      const pid = run.child.pid ?? 0;
      const tempDirs = await waitForStack(pid, stateDir);
      // Into the load, as soon as it has begun: of its 8 s, the sampler needs 3 s of silence to call a
      // service dead, so the kill leaves it at least 6 s.
      await run.waitFor(LOAD_BEGAN, 90_000);
      await killFromOutside(provider, pid, tempDirs, service);
      const t0 = performance.now();
      const code = await run.exited;
      // The load had at most 8 s left, plus its 2 s gracefulStop and a bounded teardown.
      expect(performance.now() - t0).toBeLessThan(30_000);
      expect(code, run.stderr()).toBe(99);
      const report = readReport(out, "crash-target");
      expect(report.status).toBe("failed");
      const outage = report.outages?.find((o) => o.service === service);
      expect(outage, JSON.stringify(report.outages)).toBeDefined();
      expect(outage?.toMs).toBeNull();
      const first = readFileSync(join(out, "crash-target", "findings.txt"), "utf8").split("\n")[0];
      expect(first).toMatch(
        new RegExp(`^1\\. ${LABELS[service]} stopped answering at [\\d.]+ s and did not come back`),
      );
      expect(report.ops.reduce((n, o) => n + o.errors + o.interrupted, 0)).toBeGreaterThan(0);
      const client = await tryDockerClient(1_000);
      const owned = client ? (await listManagedContainers(client)).filter((c) => c.ownerPid === pid) : [];
      expect(owned).toEqual([]);
      expect(await leftoversOf({ id: "-", ports: [], tempDirs })).toEqual(NOTHING_LEFT);
    }, 90_000);
  }
});
