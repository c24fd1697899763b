/** A stack for benchmarks: the provider from argv/env (default native), local image for containers. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ProviderChoice,
  Registry,
  resolveStackSettings,
  type StartedStack,
  startStack,
} from "../../containers/index.ts";
import { applyTestcontainersDefaults } from "../../harness/cli/testcontainers-env.ts";

const LOCAL_IMAGE = "rehearse-local/stack:bookworm";

export async function benchStack(provider: ProviderChoice): Promise<StartedStack> {
  applyTestcontainersDefaults(process.env);
  const image = (name: string) => process.env[`REHEARSE_IMAGE_${name}`] ?? LOCAL_IMAGE;
  return startStack({
    provider,
    settings: resolveStackSettings({
      containers: { images: { postgres: image("POSTGRES"), pgbouncer: image("PGBOUNCER"), redis: image("REDIS") } },
    }),
    registry: new Registry(mkdtempSync(join(tmpdir(), "rehearse-bench-state-"))),
    path: process.env.PATH ?? "",
    env: process.env,
    pgBindir: process.env.PG_BINDIR,
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
