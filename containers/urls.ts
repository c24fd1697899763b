/** Connection URLs for a stack, and their redaction for anything printed. */
import { randomBytes } from "node:crypto";
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

/** The URL with its password (if any) replaced by `***`. Unparseable input is hidden whole. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable url>";
  }
}

export function redactUrls(urls: StackUrls): StackUrls {
  return {
    postgres: redactUrl(urls.postgres),
    pgbouncer: redactUrl(urls.pgbouncer),
    pgbouncerAdmin: redactUrl(urls.pgbouncerAdmin),
    redis: redactUrl(urls.redis),
  };
}

/** Passwords found in URLs, to scrub from free text such as server error messages. */
export function secretsOf(urls: Iterable<string>): string[] {
  const secrets = new Set<string>();
  for (const url of urls) {
    try {
      const password = new URL(url).password;
      if (password) {
        secrets.add(password);
        secrets.add(decodeURIComponent(password));
      }
    } catch {
      // Not a URL: nothing to extract.
    }
  }
  return [...secrets];
}

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.replaceAll(secret, "***");
  return out;
}
