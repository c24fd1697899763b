/**
 * Stack settings with their defaults in one place. Everything the harness
 * configures (PgBouncer pools, images, networking) is explicit here so a
 * report can record what latency was measured against.
 */
import type { ServiceName } from "./types.ts";

export type PoolMode = "session" | "transaction" | "statement";

export interface PgBouncerSettings {
  poolMode: PoolMode;
  defaultPoolSize: number;
  minPoolSize: number;
  reservePoolSize: number;
  /** Seconds a client waits before the reserve pool is used. */
  reservePoolTimeout: number;
  maxClientConn: number;
  /** 0 = unlimited (PgBouncer's default). */
  maxDbConnections: number;
  /** Seconds a client may wait for a server connection; 0 = forever. */
  queryWaitTimeout: number;
  /** Seconds PgBouncer waits before retrying a failed server login. */
  serverLoginRetry: number;
}

export interface PostgresSettings {
  /** Extra `-c name=value` server settings, e.g. { shared_buffers: "128MB" }. */
  config: Record<string, string>;
}

export interface RedisSettings {
  /** e.g. "256mb"; empty = unlimited. */
  maxmemory: string;
  maxmemoryPolicy: string;
}

export type NetworkMode = "host" | "bridge";

export interface ContainerSettings {
  images: Record<ServiceName, string>;
  /** User each server runs as inside its container (must exist in the image). */
  users: Record<ServiceName, string>;
  /** host: servers listen on free loopback ports (Linux, CI). bridge: mapped ports (Docker Desktop). */
  network: NetworkMode;
}

export interface Credentials {
  user: string;
  password: string;
  database: string;
}

export interface StackSettings {
  pgbouncer: PgBouncerSettings;
  postgres: PostgresSettings;
  redis: RedisSettings;
  containers: ContainerSettings;
  /** Readiness budget per service. */
  startTimeoutMs: number;
}

export const DEFAULT_IMAGES: Record<ServiceName, string> = {
  postgres: "postgres:18",
  pgbouncer: "edoburu/pgbouncer:latest",
  redis: "redis:8",
};

export function defaultStackSettings(): StackSettings {
  return {
    pgbouncer: {
      poolMode: "transaction",
      defaultPoolSize: 20,
      minPoolSize: 0,
      reservePoolSize: 0,
      reservePoolTimeout: 5,
      maxClientConn: 1000,
      maxDbConnections: 0,
      queryWaitTimeout: 120,
      serverLoginRetry: 15,
    },
    postgres: { config: {} },
    redis: { maxmemory: "", maxmemoryPolicy: "noeviction" },
    containers: {
      images: { ...DEFAULT_IMAGES },
      users: { postgres: "postgres", pgbouncer: "postgres", redis: "redis" },
      network: "host",
    },
    startTimeoutMs: 30_000,
  };
}

/** Settings a caller may override; nested objects merge over the defaults. */
export interface StackOverrides {
  pgbouncer?: Partial<PgBouncerSettings>;
  postgres?: Partial<PostgresSettings>;
  redis?: Partial<RedisSettings>;
  containers?: {
    images?: Partial<Record<ServiceName, string>>;
    users?: Partial<Record<ServiceName, string>>;
    network?: NetworkMode;
  };
  startTimeoutMs?: number;
}

export function resolveStackSettings(overrides: StackOverrides = {}): StackSettings {
  const base = defaultStackSettings();
  return {
    pgbouncer: { ...base.pgbouncer, ...overrides.pgbouncer },
    postgres: { config: { ...base.postgres.config, ...overrides.postgres?.config } },
    redis: { ...base.redis, ...overrides.redis },
    containers: {
      images: { ...base.containers.images, ...overrides.containers?.images },
      users: { ...base.containers.users, ...overrides.containers?.users },
      network: overrides.containers?.network ?? base.containers.network,
    },
    startTimeoutMs: overrides.startTimeoutMs ?? base.startTimeoutMs,
  };
}
