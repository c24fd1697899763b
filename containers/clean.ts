/**
 * `rehearse clean`: removes what stacks of dead rehearse processes left
 * behind (after a SIGKILL, say). Three sweeps, each safe on its own:
 * registry entries, native temp dirs (owner file inside), and Docker objects
 * (labels). Anything whose owner process is still alive is left alone.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
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

export interface CleanResult {
  /** One human line per thing removed. */
  removed: string[];
  /** One line per thing still there after the bounded wait. */
  remaining: string[];
}

/** How long killed processes get to be gone, and how often they are looked for again. */
const GONE_WITHIN_MS = 5_000;
const POLL_MS = 50;

export async function cleanLeftovers(options: CleanOptions): Promise<CleanResult> {
  const result: CleanResult = { removed: [], remaining: [] };
  for (const entry of options.registry.list()) {
    if (isProcessAlive(entry.ownerPid)) continue;
    if (entry.processGroups) await killGroups(entry.processGroups, entry.id, result);
    if (entry.tempDir) await removeNativeDir(entry.tempDir, entry.id, result);
    options.registry.remove(entry.id);
  }
  await sweepTempDirs(options.tempRoot ?? tmpdir(), result);
  if (options.docker !== false) result.removed.push(...(await sweepDocker()));
  return result;
}

async function sweepTempDirs(root: string, result: CleanResult): Promise<void> {
  let names: string[] = [];
  try {
    names = readdirSync(root).filter((name) => name.startsWith(NATIVE_TEMP_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(root, name);
    const owner = readOwner(dir);
    if (owner && isProcessAlive(owner.ownerPid)) continue;
    await removeNativeDir(dir, owner?.id ?? name, result);
  }
}

function readOwner(dir: string): { id: string; ownerPid: number } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, OWNER_FILE), "utf8")) as { id: string; ownerPid: number };
  } catch {
    return undefined;
  }
}

/**
 * Kills every process working inside `dir` (frozen ones too) and waits until none is left — a
 * process caught mid-fork (initdb starting postgres) can appear after the first sweep, so each
 * round looks again — then removes `dir`. Bounded: what is still there after GONE_WITHIN_MS is
 * reported, not waited for.
 */
async function removeNativeDir(dir: string, stackId: string, result: CleanResult): Promise<void> {
  const killed = new Set<number>();
  const deadline = performance.now() + GONE_WITHIN_MS;
  for (let pids = processesWorkingIn(dir); pids.length > 0; pids = processesWorkingIn(dir)) {
    signalEach(pids, "SIGKILL");
    for (const pid of pids) killed.add(pid);
    if (performance.now() >= deadline) {
      result.remaining.push(
        `processes of native stack ${stackId} still running after ${GONE_WITHIN_MS / 1000} s: pids ${pids.join(", ")}`,
      );
      break;
    }
    await sleep(POLL_MS);
  }
  if (killed.size > 0)
    result.removed.push(`killed ${killed.size} processes of native stack ${stackId} (pids ${[...killed].join(", ")})`);
  try {
    readdirSync(dir);
  } catch {
    return; // already gone
  }
  try {
    rmSync(dir, { recursive: true, force: true });
    result.removed.push(`removed temp dir ${dir}`);
  } catch (error) {
    result.remaining.push(`temp dir ${dir}: ${(error as Error).message}`);
  }
}

/** Kills whole process groups (an app's instances and what they started) and waits, bounded, until gone. */
async function killGroups(groups: number[], id: string, result: CleanResult): Promise<void> {
  const alive = () => groups.filter((g) => isProcessAlive(-g));
  const deadline = performance.now() + GONE_WITHIN_MS;
  const killed = alive();
  for (let left = killed; left.length > 0; left = alive()) {
    signalEach(
      left.map((g) => -g),
      "SIGKILL",
    );
    if (performance.now() >= deadline) {
      result.remaining.push(
        `process groups of ${id} still running after ${GONE_WITHIN_MS / 1000} s: ${left.join(", ")}`,
      );
      return;
    }
    await sleep(POLL_MS);
  }
  if (killed.length > 0) result.removed.push(`killed the process groups of ${id} (${killed.join(", ")})`);
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
