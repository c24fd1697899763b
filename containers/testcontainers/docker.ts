/** Docker access beyond what testcontainers wraps: pause, labelled listing, forced removal. */
import { setTimeout as sleep } from "node:timers/promises";
import { type ContainerRuntimeClient, getContainerRuntimeClient } from "testcontainers";

/** Labels on everything rehearse creates; `rehearse clean` finds leftovers by them. */
export const LABEL = {
  managed: "rehearse.managed",
  stack: "rehearse.stack",
  ownerPid: "rehearse.owner-pid",
  service: "rehearse.service",
} as const;

export function stackLabels(stackId: string): Record<string, string> {
  return { [LABEL.managed]: "true", [LABEL.stack]: stackId, [LABEL.ownerPid]: String(process.pid) };
}

/** The runtime client, or undefined when no engine answers within the time given. */
export async function tryDockerClient(timeoutMs = 5_000): Promise<ContainerRuntimeClient | undefined> {
  const timeout = sleep(timeoutMs, undefined, { ref: false });
  try {
    return await Promise.race([getContainerRuntimeClient(), timeout]);
  } catch {
    return undefined;
  }
}

export async function dockerClient(): Promise<ContainerRuntimeClient> {
  const client = await tryDockerClient();
  if (!client) throw new Error("no Docker engine answered (is dockerd running and DOCKER_HOST right?)");
  return client;
}

export interface ManagedObject {
  id: string;
  name: string;
  stack: string;
  ownerPid: number;
}

export async function listManagedContainers(client: ContainerRuntimeClient): Promise<ManagedObject[]> {
  const containers = await client.container.dockerode.listContainers({
    all: true,
    filters: { label: [`${LABEL.managed}=true`] },
  });
  return containers.map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? c.Id).replace(/^\//, ""),
    stack: c.Labels[LABEL.stack] ?? "",
    ownerPid: Number(c.Labels[LABEL.ownerPid] ?? 0),
  }));
}

export async function listManagedNetworks(client: ContainerRuntimeClient): Promise<ManagedObject[]> {
  const networks = await client.container.dockerode.listNetworks({
    filters: { label: [`${LABEL.managed}=true`] },
  });
  return networks.map((n) => ({
    id: n.Id,
    name: n.Name,
    stack: n.Labels?.[LABEL.stack] ?? "",
    ownerPid: Number(n.Labels?.[LABEL.ownerPid] ?? 0),
  }));
}

/** Removes a container whatever its state (paused included); a missing one is not an error. */
export async function forceRemoveContainer(client: ContainerRuntimeClient, id: string): Promise<void> {
  try {
    await client.container.dockerode.getContainer(id).remove({ force: true, v: true });
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
}

export async function removeNetwork(client: ContainerRuntimeClient, id: string): Promise<void> {
  try {
    await client.container.dockerode.getNetwork(id).remove();
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
}

export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** Docker's log stream for a non-TTY container is multiplexed: 8-byte header, then the payload. */
export function demuxDockerLog(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8");
}
