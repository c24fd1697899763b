/**
 * A start that fails reports which service failed and why, and removes what
 * had already started (the other two services, temp dirs, containers).
 */
import { describe, expect, it } from "vitest";
import { listManagedContainers, tryDockerClient } from "../../containers/testcontainers/docker.ts";
import { StackStartError } from "../../core/errors.ts";
import { newStateDir, providersUnderTest, registeredTempDirs, startTestStack } from "../helpers/stack.ts";

async function containersOwnedByThisProcess(): Promise<string[]> {
  const client = await tryDockerClient(3_000);
  if (!client) return [];
  return (await listManagedContainers(client)).filter((c) => c.ownerPid === process.pid).map((c) => c.name);
}

async function failedStart(promise: Promise<unknown>): Promise<StackStartError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StackStartError);
  return error as StackStartError;
}

describe.each(providersUnderTest())("failed start-up on real servers (%s)", (provider) => {
  it("a Postgres that exits at start is named, with its log, and nothing is left", async () => {
    const stateDir = newStateDir();
    const error = await failedStart(
      startTestStack(provider, stateDir, {
        postgres: { config: { shared_buffers: "plenty" } },
        startTimeoutMs: 20_000,
      }),
    );
    expect(error.service).toBe("postgres");
    expect(error.message).toMatch(/exited before it answered/);
    expect(error.message).toContain('invalid value for parameter "shared_buffers"');
    expect(registeredTempDirs(stateDir)).toEqual([]);
    expect(await containersOwnedByThisProcess()).toEqual([]);
  });
});

describe.runIf(providersUnderTest().includes("testcontainers"))("failed start-up, testcontainers only", () => {
  it("a missing image names the service and removes the containers that did start", async () => {
    const error = await failedStart(
      startTestStack("testcontainers", newStateDir(), {
        containers: { images: { redis: "rehearse-local/no-such-image:1" } },
      }),
    );
    expect(error.service).toBe("redis");
    expect(error.message).toMatch(/no-such-image/);
    expect(await containersOwnedByThisProcess()).toEqual([]);
  });
});
