/**
 * Flags that choose and configure the stack, shared by every command that
 * starts one. Environment variables give defaults; flags win. Every problem
 * is collected so the user sees them all at once.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import type { ParseArgsConfig } from "node:util";
import {
  PROVIDER_NAMES,
  type ProviderChoice,
  resolveStackSettings,
  type StackOverrides,
  type StackSettings,
} from "../../containers/index.ts";
import { LOG_LEVELS, type LogLevel } from "../log.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export const STACK_OPTIONS = {
  provider: { type: "string" },
  target: { type: "string" },
  network: { type: "string" },
  "postgres-image": { type: "string" },
  "pgbouncer-image": { type: "string" },
  "redis-image": { type: "string" },
  "pg-bindir": { type: "string" },
  "pool-mode": { type: "string" },
  "pool-size": { type: "string" },
  "max-client-conn": { type: "string" },
  "start-timeout": { type: "string" },
  "state-dir": { type: "string" },
  "log-level": { type: "string" },
} as const satisfies Options;

export const STACK_FLAGS_HELP = `Stack options:
  --provider <name>        auto (default) | testcontainers | native | external   [$REHEARSE_PROVIDER]
  --target <file.json>     connection URLs of an existing stack (selects external)
  --network <mode>         host (default) | bridge: container networking        [$REHEARSE_NETWORK]
  --postgres-image <ref>   default postgres:18                               [$REHEARSE_IMAGE_POSTGRES]
  --pgbouncer-image <ref>  default edoburu/pgbouncer:latest                 [$REHEARSE_IMAGE_PGBOUNCER]
  --redis-image <ref>      default redis:8                                     [$REHEARSE_IMAGE_REDIS]
  --pg-bindir <dir>        Postgres binaries for the native provider              [$PG_BINDIR]
  --pool-mode <mode>       PgBouncer pool_mode: transaction (default) | session | statement
  --pool-size <n>          PgBouncer default_pool_size (default 20)
  --max-client-conn <n>    PgBouncer max_client_conn (default 1000)
  --start-timeout <s>      seconds each service may take to answer (default 30)
  --state-dir <dir>        where leftovers are registered          [$REHEARSE_STATE_DIR]
  --log-level <level>      pino JSON logs on stderr: ${LOG_LEVELS.join(" | ")} (default warn)`;

type Values = { [K in keyof typeof STACK_OPTIONS]?: string | undefined };

export interface StackFlags {
  provider: ProviderChoice;
  targetFile: string | undefined;
  settings: StackSettings;
  pgBindir: string | undefined;
  stateDir: string;
  logLevel: LogLevel;
}

export function stateDirFrom(value: string | undefined, env: Record<string, string | undefined>): string {
  if (value) return value;
  if (env.REHEARSE_STATE_DIR) return env.REHEARSE_STATE_DIR;
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), ".local", "state");
  return join(base, "rehearse");
}

export function logLevelFrom(value: string | undefined, problems: string[]): LogLevel {
  const level = value ?? "warn";
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  problems.push(`--log-level: '${level}' is not one of ${LOG_LEVELS.join(", ")}`);
  return "warn";
}

/** Reads stack flags; pushes a message per bad value onto `problems`. */
export function readStackFlags(
  values: Values,
  env: Record<string, string | undefined>,
  problems: string[],
): StackFlags {
  const oneOf = <T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined => {
    if (value === undefined) return undefined;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push(`--${flag}: '${value}' is not one of ${allowed.join(", ")}`);
    return undefined;
  };
  const positiveInt = (flag: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (Number.isInteger(n) && n > 0) return n;
    problems.push(`--${flag}: '${value}' is not a positive whole number`);
    return undefined;
  };

  const provider = oneOf("provider", values.provider ?? env.REHEARSE_PROVIDER, ["auto", ...PROVIDER_NAMES]) ?? "auto";
  const network = oneOf("network", values.network ?? env.REHEARSE_NETWORK, ["host", "bridge"] as const);
  const poolMode = oneOf("pool-mode", values["pool-mode"], ["session", "transaction", "statement"] as const);
  const startTimeout = positiveInt("start-timeout", values["start-timeout"]);
  const overrides: StackOverrides = {
    pgbouncer: {
      ...(poolMode && { poolMode }),
      ...definedOnly({
        defaultPoolSize: positiveInt("pool-size", values["pool-size"]),
        maxClientConn: positiveInt("max-client-conn", values["max-client-conn"]),
      }),
    },
    containers: {
      images: definedOnly({
        postgres: values["postgres-image"] ?? env.REHEARSE_IMAGE_POSTGRES,
        pgbouncer: values["pgbouncer-image"] ?? env.REHEARSE_IMAGE_PGBOUNCER,
        redis: values["redis-image"] ?? env.REHEARSE_IMAGE_REDIS,
      }),
      ...(network && { network }),
    },
    ...(startTimeout && { startTimeoutMs: startTimeout * 1000 }),
  };
  return {
    provider,
    targetFile: values.target,
    settings: resolveStackSettings(overrides),
    pgBindir: values["pg-bindir"] ?? env.PG_BINDIR,
    stateDir: stateDirFrom(values["state-dir"], env),
    logLevel: logLevelFrom(values["log-level"], problems),
  };
}

function definedOnly<T extends Record<string, unknown>>(
  record: T,
): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Partial<{
    [K in keyof T]: Exclude<T[K], undefined>;
  }>;
}
