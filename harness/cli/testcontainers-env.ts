/**
 * testcontainers reads its settings from the environment. With host
 * networking there is no bridge network: it cannot resolve the Docker host
 * through the bridge gateway, and its reaper (Ryuk) cannot be reached, so the
 * harness points it at loopback and cleans up after itself (labels + `clean`).
 * Values the user set are kept.
 */
export function applyTestcontainersDefaults(env: Record<string, string | undefined>): void {
  env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
  env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";
}
