/**
 * `rehearse clean`: removes what stacks of dead rehearse processes left
 * behind (after a SIGKILL, say). Three sweeps, each safe on its own:
 * registry entries, native temp dirs (owner file inside), and Docker objects
 * (labels). Anything whose owner process is still alive is left alone.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processesWorkingIn, signalEach } from "./native/processes.ts";
import { NATIVE_TEMP_PREFIX, OWNER_FILE } from "./native/provider.ts";
import { isProcessAlive, type Registry } from "./registry.ts";
import {
  forceRemoveContainer,
  listManagedContainers,
  listManagedNetworks,
  removeNetwork,
  tryDockerClient,
} from "./testcontainers/docker.ts";

export interface CleanOptions {
  registry: Registry;
  tempRoot?: string;
  /** Also sweep Docker (skipped when no engine answers). */
  docker?: boolean;
}

/** Returns one human line per thing removed. */
export async function cleanLeftovers(options: CleanOptions): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of options.registry.list()) {
    if (isProcessAlive(entry.ownerPid)) continue;
    removed.push(...removeNativeDir(entry.tempDir, entry.id));
    options.registry.remove(entry.id);
  }
  removed.push(...sweepTempDirs(options.tempRoot ?? tmpdir()));
  if (options.docker !== false) removed.push(...(await sweepDocker()));
  return removed;
}

function sweepTempDirs(root: string): string[] {
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(root).filter((name) => name.startsWith(NATIVE_TEMP_PREFIX));
  } catch {
    return removed;
  }
  for (const name of names) {
    const dir = join(root, name);
    const owner = readOwner(dir);
    if (owner && isProcessAlive(owner.ownerPid)) continue;
    removed.push(...removeNativeDir(dir, owner?.id ?? name));
  }
  return removed;
}

function readOwner(dir: string): { id: string; ownerPid: number } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, OWNER_FILE), "utf8")) as { id: string; ownerPid: number };
  } catch {
    return undefined;
  }
}

/** Kills every process working inside `dir` (frozen ones too), then removes `dir`. */
function removeNativeDir(dir: string, stackId: string): string[] {
  const removed: string[] = [];
  const pids = processesWorkingIn(dir);
  if (pids.length > 0) {
    signalEach(pids, "SIGKILL");
    removed.push(`killed ${pids.length} processes of native stack ${stackId} (pids ${pids.join(", ")})`);
  }
  try {
    readdirSync(dir);
    rmSync(dir, { recursive: true, force: true });
    removed.push(`removed temp dir ${dir}`);
  } catch {
    // Already gone.
  }
  return removed;
}

async function sweepDocker(): Promise<string[]> {
  const client = await tryDockerClient(3_000);
  if (!client) return [];
  const removed: string[] = [];
  for (const container of await listManagedContainers(client)) {
    if (isProcessAlive(container.ownerPid)) continue;
    await forceRemoveContainer(client, container.id);
    removed.push(`removed container ${container.name} (${container.id.slice(0, 12)}, stack ${container.stack})`);
  }
  for (const network of await listManagedNetworks(client)) {
    if (isProcessAlive(network.ownerPid)) continue;
    await removeNetwork(client, network.id);
    removed.push(`removed network ${network.name} (stack ${network.stack})`);
  }
  return removed;
}
