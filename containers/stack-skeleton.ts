/** What every stack rehearse starts has before any server runs: an id, three free loopback ports,
 * throwaway credentials, and the URLs (with their secrets) clients will use. */
import { randomBytes } from "node:crypto";
import { secretsOf } from "../core/redact.ts";
import { freeLoopbackPorts, LOOPBACK } from "./ports.ts";
import type { Endpoint } from "./server-config.ts";
import type { Credentials } from "./settings.ts";
import type { ServiceName, StackUrls } from "./types.ts";
import { newCredentials, stackUrls } from "./urls.ts";

export interface StackSkeleton {
  id: string;
  credentials: Credentials;
  /** Where clients reach each service: loopback, a free port each. */
  at: Record<ServiceName, Endpoint>;
  urls: StackUrls;
  secrets: string[];
}

export async function stackSkeleton(): Promise<StackSkeleton> {
  const id = `rh-${randomBytes(4).toString("hex")}`;
  const [postgres, pgbouncer, redis] = (await freeLoopbackPorts(3)) as [number, number, number];
  const at = {
    postgres: { host: LOOPBACK, port: postgres },
    pgbouncer: { host: LOOPBACK, port: pgbouncer },
    redis: { host: LOOPBACK, port: redis },
  };
  const credentials = newCredentials();
  const urls = stackUrls(credentials, at);
  return { id, credentials, at, urls, secrets: secretsOf([urls.postgres]) };
}
