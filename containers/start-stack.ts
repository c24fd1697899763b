/**
 * Chooses a provider and starts the stack. `auto` prefers testcontainers when
 * a Docker engine answers and all three images can be had (checked together,
 * before anything starts), then native servers found on this machine, and
 * says in one line which it chose and why; an external target is used as
 * given (loaded and validated by the caller).
 */
import { BadInputError, RehearseError } from "../core/errors.ts";
import { externalPlan } from "./external/provider.ts";
import type { Target } from "./external/target-file.ts";
import { findNativeBinaries, type NativeBinaries } from "./native/binaries.ts";
import { nativePlan } from "./native/provider.ts";
import { serviceUserFor } from "./native/service-user.ts";
import type { Registry } from "./registry.ts";
import type { StackSettings } from "./settings.ts";
import { type LaunchPlan, launchStack } from "./started-stack.ts";
import { dockerClient, tryDockerClient } from "./testcontainers/docker.ts";
import { type MissingImage, missingImages } from "./testcontainers/images.ts";
import { testcontainersPlan } from "./testcontainers/provider.ts";
import type { ProviderName, StartedStack } from "./types.ts";

export type ProviderChoice = ProviderName | "auto";

export interface StartStackOptions {
  provider: ProviderChoice;
  settings: StackSettings;
  /** An existing stack: required for (and implies) the external provider. */
  target?: Target;
  registry: Registry;
  /** The caller's PATH: where native binaries are searched and what `exec` runs with. */
  path: string;
  pgBindir?: string;
  signal?: AbortSignal;
  /** One line on what `auto` chose and why. */
  onNote?: (line: string) => void;
}

/** Neither Docker nor native servers; the caller adds how to point at an existing stack. */
export class NoProviderError extends RehearseError {
  constructor(missing: string[], images: MissingImage[] = []) {
    const docker =
      images.length === 0
        ? ["  - testcontainers: no Docker engine answered (start dockerd, or set DOCKER_HOST)"]
        : [
            "  - testcontainers: Docker answered, but these images cannot be had:",
            ...images.map((m) => `      ${m.service}: ${m.image}: ${m.reason}`),
            "    (choose images that are there: --postgres-image, --pgbouncer-image, --redis-image)",
          ];
    super(
      [
        "no stack provider is available:",
        ...docker,
        `  - native: not found: ${missing.join("; ")}`,
        "    (Debian: apt-get install postgresql pgbouncer redis-server)",
      ].join("\n"),
    );
    this.name = "NoProviderError";
  }
}

export async function startStack(options: StartStackOptions): Promise<StartedStack> {
  const plan = await planFor(options);
  return launchStack(plan, { timeoutMs: options.settings.startTimeoutMs, signal: options.signal });
}

async function planFor(options: StartStackOptions): Promise<LaunchPlan> {
  const { settings, registry, target } = options;
  if (target) {
    if (options.provider !== "external" && options.provider !== "auto")
      throw new BadInputError("provider", [`a target selects the external provider, not ${options.provider}`]);
    return externalPlan(target, options.path);
  }
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
      throw new BadInputError("provider", ["the external provider needs a target (connection URLs)"]);
    case "auto": {
      const note = options.onNote ?? (() => {});
      const client = await tryDockerClient(3_000);
      const missing = client ? await missingImages(client, settings.containers.images) : [];
      if (client && missing.length === 0) {
        note("provider auto: testcontainers (a Docker engine answered and all three images are available)");
        return testcontainersPlan(settings, { client });
      }
      const found = native();
      if ("missing" in found) throw new NoProviderError(found.missing, missing);
      note(
        client
          ? `provider auto: native servers, because ${missing.map((m) => `${m.image} (${m.service})`).join(", ")} cannot be had from Docker`
          : "provider auto: native servers, because no Docker engine answered",
      );
      return nativeWith(found);
    }
  }
}
