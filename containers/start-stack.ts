/**
 * Chooses a provider and starts the stack. `auto` prefers testcontainers when
 * a Docker engine answers, then native servers found on this machine; the
 * target file is validated before anything is started.
 */
import { BadInputError, RehearseError } from "../harness/errors.ts";
import { externalPlan } from "./external/provider.ts";
import { loadTargetFile } from "./external/target-file.ts";
import { findNativeBinaries, type NativeBinaries } from "./native/binaries.ts";
import { nativePlan } from "./native/provider.ts";
import { serviceUserFor } from "./native/service-user.ts";
import type { Registry } from "./registry.ts";
import type { StackSettings } from "./settings.ts";
import { type LaunchPlan, launchStack } from "./started-stack.ts";
import { dockerClient, tryDockerClient } from "./testcontainers/docker.ts";
import { testcontainersPlan } from "./testcontainers/provider.ts";
import type { ProviderName, StartedStack } from "./types.ts";

export type ProviderChoice = ProviderName | "auto";

export interface StartStackOptions {
  provider: ProviderChoice;
  settings: StackSettings;
  /** Required for (and implies) the external provider. */
  targetFile?: string;
  registry: Registry;
  /** The caller's PATH: where native binaries are searched and what `exec` runs with. */
  path: string;
  /** Environment for `${VAR}` in a target file. */
  env: Record<string, string | undefined>;
  pgBindir?: string;
  signal?: AbortSignal;
}

export class NoProviderError extends RehearseError {
  constructor(missing: string[]) {
    super(
      [
        "no stack provider is available:",
        "  - testcontainers: no Docker engine answered (start dockerd, or set DOCKER_HOST)",
        `  - native: not found: ${missing.join("; ")}`,
        "    (Debian: apt-get install postgresql pgbouncer redis-server)",
        "  - external: pass --target <file.json> with the URLs of an existing stack",
      ].join("\n"),
    );
    this.name = "NoProviderError";
  }
}

/** Everything that can be checked without starting anything. */
export function checkStackOptions(provider: ProviderChoice, targetFile: string | undefined): void {
  if (provider === "external" && !targetFile) {
    throw new BadInputError("--provider external", ["needs --target <file.json>"]);
  }
  if (targetFile && provider !== "external" && provider !== "auto") {
    throw new BadInputError("--target", [`a target file selects the external provider, not ${provider}`]);
  }
}

export async function startStack(options: StartStackOptions): Promise<StartedStack> {
  checkStackOptions(options.provider, options.targetFile);
  const plan = await planFor(options);
  return launchStack(plan, { timeoutMs: options.settings.startTimeoutMs, signal: options.signal });
}

async function planFor(options: StartStackOptions): Promise<LaunchPlan> {
  const { settings, registry } = options;
  if (options.targetFile) return externalPlan(loadTargetFile(options.targetFile, options.env), options.path);
  const native = () => findNativeBinaries({ path: options.path, pgBindir: options.pgBindir });
  const nativeWith = (binaries: NativeBinaries) =>
    nativePlan(settings, {
      binaries,
      user: serviceUserFor(process.getuid?.() ?? -1),
      registry,
      path: options.path,
    });

  switch (options.provider) {
    case "testcontainers":
      return testcontainersPlan(settings, { client: await dockerClient() });
    case "native": {
      const found = native();
      if ("missing" in found) throw new NoProviderError(found.missing);
      return nativeWith(found);
    }
    case "external":
      throw new BadInputError("--provider external", ["needs --target <file.json>"]);
    case "auto": {
      const client = await tryDockerClient(3_000);
      if (client) return testcontainersPlan(settings, { client });
      const found = native();
      if ("missing" in found) throw new NoProviderError(found.missing);
      return nativeWith(found);
    }
  }
}
