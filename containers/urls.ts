/** Connection URLs for a stack, and their redaction for anything printed. */
import { randomBytes } from "node:crypto";
import { redactUrl } from "../core/redact.ts";
import type { Endpoint } from "./server-config.ts";
import type { Credentials } from "./settings.ts";
import type { StackUrls } from "./types.ts";

export const ADMIN_DATABASE = "pgbouncer";

/** Fresh credentials for a stack the harness owns; the password is random per stack. */
export function newCredentials(): Credentials {
  return { user: "rehearse", password: randomBytes(12).toString("hex"), database: "rehearse" };
}

export function postgresUrl(c: Credentials, at: Endpoint, database = c.database): string {
  const user = encodeURIComponent(c.user);
  const password = encodeURIComponent(c.password);
  return `postgres://${user}:${password}@${at.host}:${at.port}/${encodeURIComponent(database)}`;
}

export function stackUrls(c: Credentials, at: { postgres: Endpoint; pgbouncer: Endpoint; redis: Endpoint }): StackUrls {
  return {
    postgres: postgresUrl(c, at.postgres),
    pgbouncer: postgresUrl(c, at.pgbouncer),
    pgbouncerAdmin: postgresUrl(c, at.pgbouncer, ADMIN_DATABASE),
    redis: `redis://${at.redis.host}:${at.redis.port}`,
  };
}

export function redactUrls(urls: StackUrls): StackUrls {
  return {
    postgres: redactUrl(urls.postgres),
    pgbouncer: redactUrl(urls.pgbouncer),
    pgbouncerAdmin: redactUrl(urls.pgbouncerAdmin),
    redis: redactUrl(urls.redis),
  };
}
