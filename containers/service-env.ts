/** The environment `exec` gives a command so that pg_dump, psql and redis-cli find the service. */
import type { Endpoint } from "./server-config.ts";
import type { Credentials } from "./settings.ts";
import type { ServiceName } from "./types.ts";

export function serviceEnv(name: ServiceName, at: Endpoint, credentials: Partial<Credentials>): Record<string, string> {
  if (name === "redis") return { REDIS_HOST: at.host, REDIS_PORT: String(at.port) };
  const env: Record<string, string> = { PGHOST: at.host, PGPORT: String(at.port) };
  if (credentials.user) env.PGUSER = credentials.user;
  if (credentials.password) env.PGPASSWORD = credentials.password;
  if (credentials.database) env.PGDATABASE = credentials.database;
  return env;
}
