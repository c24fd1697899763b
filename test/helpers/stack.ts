/**
 * Shared set-up for integration suites: which providers to run (both, unless
 * REHEARSE_TEST_PROVIDERS narrows it: a missing provider fails, never skips),
 * the images (the local all-in-one image unless REHEARSE_IMAGE_* say
 * otherwise), and checks that a stack left nothing behind.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Registry,
  resolveStackSettings,
  type StackOverrides,
  type StartedStack,
  startStack,
} from "../../containers/index.ts";
import { processesWorkingIn } from "../../containers/native/processes.ts";
import { listManagedContainers, tryDockerClient } from "../../containers/testcontainers/docker.ts";
import { applyTestcontainersDefaults } from "../../harness/cli/testcontainers-env.ts";

export type LocalProvider = "testcontainers" | "native";

export const LOCAL_IMAGE = "rehearse-local/stack:bookworm";

export function providersUnderTest(): LocalProvider[] {
  const list = process.env.REHEARSE_TEST_PROVIDERS ?? "testcontainers,native";
  return list.split(",").map((p) => p.trim()) as LocalProvider[];
}

/** Environment for a child `rehearse` process (and for testcontainers in this one). */
export function testEnv(stateDir: string): Record<string, string> {
  applyTestcontainersDefaults(process.env);
  return {
    ...(process.env as Record<string, string>),
    REHEARSE_STATE_DIR: stateDir,
    REHEARSE_IMAGE_POSTGRES: process.env.REHEARSE_IMAGE_POSTGRES ?? LOCAL_IMAGE,
    REHEARSE_IMAGE_PGBOUNCER: process.env.REHEARSE_IMAGE_PGBOUNCER ?? LOCAL_IMAGE,
    REHEARSE_IMAGE_REDIS: process.env.REHEARSE_IMAGE_REDIS ?? LOCAL_IMAGE,
  };
}

export function newStateDir(): string {
  return mkdtempSync(join(tmpdir(), "rehearse-test-state-"));
}

export async function startTestStack(
  provider: LocalProvider,
  stateDir: string,
  overrides: StackOverrides = {},
): Promise<StartedStack> {
  const env = testEnv(stateDir);
  const settings = resolveStackSettings({
    ...overrides,
    containers: {
      ...overrides.containers,
      images: {
        postgres: env.REHEARSE_IMAGE_POSTGRES,
        pgbouncer: env.REHEARSE_IMAGE_PGBOUNCER,
        redis: env.REHEARSE_IMAGE_REDIS,
        ...overrides.containers?.images,
      },
    },
  });
  return startStack({
    provider,
    settings,
    registry: new Registry(stateDir),
    path: env.PATH ?? "",
    pgBindir: env.PG_BINDIR,
  });
}

export function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.setTimeout(1_000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface Leftovers {
  containers: string[];
  processes: number[];
  tempDirs: string[];
  openPorts: number[];
}

/** What remains of a stack: its containers (by label), processes and temp dirs (native), open ports. */
export async function leftoversOf(stack: { id: string; ports: number[]; tempDirs: string[] }): Promise<Leftovers> {
  const client = await tryDockerClient(3_000);
  const containers = client
    ? (await listManagedContainers(client)).filter((c) => c.stack === stack.id).map((c) => c.name)
    : [];
  const processes = stack.tempDirs.flatMap((dir) => processesWorkingIn(dir));
  const tempDirs = stack.tempDirs.filter((dir) => existsSync(dir));
  const openPorts: number[] = [];
  for (const port of stack.ports) if (await portAccepts(port)) openPorts.push(port);
  return { containers, processes, tempDirs, openPorts };
}

export const NOTHING_LEFT: Leftovers = { containers: [], processes: [], tempDirs: [], openPorts: [] };

export function portsOf(urls: { postgres: string; pgbouncer: string; redis: string }): number[] {
  return [urls.postgres, urls.pgbouncer, urls.redis].map((u) => Number(new URL(u).port));
}

/** Native stacks register their temp dir in the state dir. */
export function registeredTempDirs(stateDir: string): string[] {
  return new Registry(stateDir).list().map((entry) => entry.tempDir);
}
