/**
 * Stack settings with their defaults in one place. Everything the harness
 * configures (PgBouncer pools, images, networking) is explicit here so a
 * report can record what latency was measured against.
 */
import { z } from "zod";
import { describeIssues } from "../core/validation.ts";
import { SERVICE_NAMES, type ServiceName } from "./types.ts";

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

export const POOL_MODES = ["session", "transaction", "statement"] as const;
export const MAXMEMORY_POLICIES = [
  "noeviction",
  "allkeys-lru",
  "allkeys-lfu",
  "allkeys-random",
  "volatile-lru",
  "volatile-lfu",
  "volatile-random",
  "volatile-ttl",
] as const;

const count = (min: number, max: number) =>
  z
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .min(min, { error: `must be ≥ ${min}` })
    .max(max, { error: `must be ≤ ${max}` });
const seconds = z
  .number({ error: "must be a number of seconds" })
  .min(0, { error: "must be ≥ 0" })
  .max(86_400, { error: "must be ≤ 86400" });
const oneOf = (values: readonly [string, ...string[]]) =>
  z.enum(values, { error: (issue) => `${JSON.stringify(issue.input)} is not one of ${values.join(", ")}` });
const perService = z
  .strictObject(
    Object.fromEntries(
      SERVICE_NAMES.map((s) => [s, z.string().trim().min(1, { error: "must not be empty" })]),
    ) as Record<ServiceName, z.ZodString>,
  )
  .partial();

/** Every value a server will be handed is checked here, so none can make it fail to start or hang. */
const StackOverridesSchema = z.strictObject({
  pgbouncer: z
    .strictObject({
      poolMode: oneOf(POOL_MODES),
      defaultPoolSize: count(1, 10_000),
      minPoolSize: count(0, 10_000),
      reservePoolSize: count(0, 10_000),
      reservePoolTimeout: seconds,
      maxClientConn: count(1, 100_000),
      maxDbConnections: count(0, 100_000),
      queryWaitTimeout: seconds,
      serverLoginRetry: seconds,
    })
    .partial()
    .optional(),
  postgres: z
    .strictObject({
      config: z.record(
        z.string().regex(/^[a-z_][a-z0-9_.]*$/, { error: "must be a server setting name such as shared_buffers" }),
        z.string().regex(/^[^\n\r\0]*$/, { error: "must be one line of text" }),
        { error: 'must be { setting: "value" } with string values' },
      ),
    })
    .partial()
    .optional(),
  redis: z
    .strictObject({
      maxmemory: z
        .string()
        .regex(/^(\d+(b|k|kb|m|mb|g|gb)?)?$/i, { error: 'must be a size such as "256mb" (or "" for none)' }),
      maxmemoryPolicy: oneOf(MAXMEMORY_POLICIES),
    })
    .partial()
    .optional(),
  containers: z
    .strictObject({ images: perService, users: perService, network: oneOf(["host", "bridge"]) })
    .partial()
    .optional(),
  startTimeoutMs: count(1, 600_000).optional(),
});

/** Problems of one layer of overrides (a scenario's `stack` block, the flags), each naming its field. */
export function checkStackOverrides(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  const parsed = StackOverridesSchema.safeParse(value);
  return parsed.success ? [] : describeIssues(parsed.error.issues, where);
}

/** Problems that only show once the layers are merged. */
export function checkStackSettings(settings: StackSettings): string[] {
  const { minPoolSize, defaultPoolSize } = settings.pgbouncer;
  return minPoolSize > defaultPoolSize
    ? [`pgbouncer.minPoolSize: ${minPoolSize} is more than defaultPoolSize ${defaultPoolSize}`]
    : [];
}

/** Layers merged over the defaults, later layers winning (defaults < scenario < flags). Unchecked: callers
 * check each layer with `checkStackOverrides` first. */
export function resolveStackSettings(...layers: (StackOverrides | undefined)[]): StackSettings {
  let settings = defaultStackSettings();
  for (const overrides of layers) if (overrides) settings = mergeOver(settings, overrides);
  return settings;
}

function mergeOver(base: StackSettings, overrides: StackOverrides): StackSettings {
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
