/**
 * Before `auto` commits to testcontainers: can every image be had? Each is
 * looked for locally, then its manifest asked of its registry (no download),
 * all three at once and bounded, so a machine without a registry learns in
 * seconds which images are missing instead of failing one image per attempt.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ContainerRuntimeClient } from "testcontainers";

export interface MissingImage {
  service: string;
  image: string;
  reason: string;
}

const REGISTRY_LIMIT_MS = 10_000;

export async function missingImages(
  client: ContainerRuntimeClient,
  images: Record<string, string>,
): Promise<MissingImage[]> {
  const docker = client.container.dockerode;
  const verdicts = await Promise.all(
    Object.entries(images).map(async ([service, image]): Promise<MissingImage | null> => {
      try {
        await docker.getImage(image).inspect();
        return null;
      } catch {
        // Not here: the registry must know it (the engine asks; nothing is pulled).
      }
      const limit = sleep(REGISTRY_LIMIT_MS, "timeout" as const, { ref: false });
      try {
        const answer = await Promise.race([docker.getImage(image).distribution({}), limit]);
        if (answer === "timeout")
          return { service, image, reason: `its registry did not answer in ${REGISTRY_LIMIT_MS / 1000} s` };
        return null;
      } catch (error) {
        const message = ((error as { json?: { message?: string } }).json?.message ?? (error as Error).message).trim();
        return { service, image, reason: `not present locally and not pullable (${message.split("\n")[0]})` };
      }
    }),
  );
  return verdicts.filter((v): v is MissingImage => v !== null);
}
