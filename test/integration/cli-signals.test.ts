/**
 * `rehearse up` as a real child process, per provider: SIGTERM while up and
 * SIGINT during start-up leave nothing behind; after a SIGKILL the stack is
 * left running and `rehearse clean` removes all of it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { queryOnce } from "../../containers/probes.ts";
import { listManagedContainers, tryDockerClient } from "../../containers/testcontainers/docker.ts";
import { runRehearse, startRehearse } from "../helpers/rehearse-process.ts";
import {
  leftoversOf,
  NOTHING_LEFT,
  newStateDir,
  portsOf,
  providersUnderTest,
  registeredTempDirs,
  testEnv,
} from "../helpers/stack.ts";

interface UpLine {
  provider: string;
  id: string;
  postgres: string;
  pgbouncer: string;
  redis: string;
}

/** Something of this child's stack exists: a container it owns, or a registered temp dir. */
async function somethingStarted(ownerPid: number, stateDir: string): Promise<boolean> {
  if (registeredTempDirs(stateDir).length > 0) return true;
  const client = await tryDockerClient(1_000);
  return client ? (await listManagedContainers(client)).some((c) => c.ownerPid === ownerPid) : false;
}

describe.each(providersUnderTest())("rehearse up and clean, real processes (%s)", (provider) => {
  it("SIGTERM while up: exit 0 and nothing left", async () => {
    const stateDir = newStateDir();
    const up = startRehearse(["up", "--provider", provider, "--json"], testEnv(stateDir));
    const line = JSON.parse(await up.firstLine(60_000)) as UpLine;
    expect(line.provider).toBe(provider);
    expect(await queryOnce(line.pgbouncer, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
    const traces = { id: line.id, ports: portsOf(line), tempDirs: registeredTempDirs(stateDir) };

    up.child.kill("SIGTERM");
    expect(await up.exited).toBe(0);
    expect(await leftoversOf(traces)).toEqual(NOTHING_LEFT);
  });

  it("SIGINT during start-up: exit 105 and nothing left", async () => {
    const stateDir = newStateDir();
    const up = startRehearse(["up", "--provider", provider, "--json"], testEnv(stateDir));
    const pid = up.child.pid ?? 0;
    // Wait until the first service exists, then interrupt (bounded: 30 s of polling).
    for (let i = 0; i < 600 && !(await somethingStarted(pid, stateDir)); i++) await sleep(50);
    const tempDirs = registeredTempDirs(stateDir);
    up.child.kill("SIGINT");
    expect(await up.exited).toBe(105);
    expect(up.stdout()).toBe("");
    expect(up.stderr()).toContain("stopped by signal during start-up");
    const client = await tryDockerClient(1_000);
    const owned = client ? (await listManagedContainers(client)).filter((c) => c.ownerPid === pid) : [];
    expect(owned).toEqual([]);
    expect(await leftoversOf({ id: "-", ports: [], tempDirs })).toEqual(NOTHING_LEFT);
  });

  it("SIGKILL leaves the stack running; rehearse clean removes it all", async () => {
    const stateDir = newStateDir();
    const env = testEnv(stateDir);
    const up = startRehearse(["up", "--provider", provider, "--json"], env);
    const line = JSON.parse(await up.firstLine(60_000)) as UpLine;
    const traces = { id: line.id, ports: portsOf(line), tempDirs: registeredTempDirs(stateDir) };

    up.child.kill("SIGKILL");
    await up.exited;
    const left = await leftoversOf(traces);
    expect(left.openPorts).toHaveLength(3);
    expect(await queryOnce(line.pgbouncer, "SELECT 1 AS one")).toEqual([{ one: 1 }]);

    const clean = await runRehearse(["clean"], env);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(provider === "native" ? /killed \d+ processes/ : /removed container/);
    expect(await leftoversOf(traces)).toEqual(NOTHING_LEFT);

    const again = await runRehearse(["clean"], env);
    expect(again.stdout).toContain("nothing to clean");
  });
});
