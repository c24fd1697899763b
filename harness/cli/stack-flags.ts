/**
 * Flags that choose and configure the stack, shared by every command that
 * starts one. Environment variables give defaults; flags win. Every problem
 * is collected so the user sees them all at once.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import type { ParseArgsConfig } from "node:util";
import {
  checkStackOverrides,
  checkStackSettings,
  loadTargetFile,
  type NetworkMode,
  type PoolMode,
  PROVIDER_NAMES,
  type ProviderChoice,
  Registry,
  resolveStackSettings,
  type StackOverrides,
  type StackSettings,
  type StartStackOptions,
  type Target,
} from "../../containers/index.ts";
import { BadInputError } from "../../core/errors.ts";
import { LOG_LEVELS, type LogLevel } from "../../core/log.ts";
import { type World, writeLine } from "./world.ts";

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
  --state-dir <dir>        where leftovers are registered          [$REHEARSE_STATE_DIR]`;

/** The --log-level line: `up` logs to stderr at warn; `run` to <out>/rehearse.log at info unless it is given. */
export function logLevelHelp(defaultText: string): string {
  return `  --log-level <level>      pino JSON logs on stderr: ${LOG_LEVELS.join(" | ")} (${defaultText})`;
}

type Values = { [K in keyof typeof STACK_OPTIONS]?: string | undefined };

export interface StackFlags {
  provider: ProviderChoice;
  targetFile: string | undefined;
  /** The target file, loaded and checked once, before anything starts. */
  target: Target | undefined;
  /** What the flags (and their environment defaults) set: the last layer over a scenario's `stack`. */
  overrides: StackOverrides;
  /** Defaults < flags: the stack `up` starts. */
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
  return oneOfFlag("log-level", value, LOG_LEVELS, problems) ?? "warn";
}

/** Which flag (or variable) sets each stack setting, so a problem names what the user typed. */
const FLAG_OF: Record<string, string> = {
  "pgbouncer.poolMode": "pool-mode",
  "pgbouncer.defaultPoolSize": "pool-size",
  "pgbouncer.maxClientConn": "max-client-conn",
  "containers.network": "network",
  "containers.images.postgres": "postgres-image",
  "containers.images.pgbouncer": "pgbouncer-image",
  "containers.images.redis": "redis-image",
  startTimeoutMs: "start-timeout",
};

/** Reads stack flags; pushes a message per bad value onto `problems`. Stack settings are checked by
 * the same rules as a scenario's `stack` block (containers/settings.ts). */
export function readStackFlags(
  values: Values,
  env: Record<string, string | undefined>,
  problems: string[],
): StackFlags {
  const provider =
    oneOfFlag("provider", values.provider ?? env.REHEARSE_PROVIDER, ["auto", ...PROVIDER_NAMES], problems) ?? "auto";
  const number = (raw: string | undefined) =>
    raw === undefined ? undefined : raw.trim() === "" ? Number.NaN : Number(raw);
  const timeoutS = number(values["start-timeout"]);
  const network = values.network ?? env.REHEARSE_NETWORK;
  const overrides: StackOverrides = {
    pgbouncer: definedOnly({
      poolMode: values["pool-mode"] as PoolMode | undefined,
      defaultPoolSize: number(values["pool-size"]),
      maxClientConn: number(values["max-client-conn"]),
    }),
    containers: {
      images: definedOnly({
        postgres: values["postgres-image"] ?? env.REHEARSE_IMAGE_POSTGRES,
        pgbouncer: values["pgbouncer-image"] ?? env.REHEARSE_IMAGE_PGBOUNCER,
        redis: values["redis-image"] ?? env.REHEARSE_IMAGE_REDIS,
      }),
      ...(network !== undefined && { network: network as NetworkMode }),
    },
    ...(timeoutS !== undefined && { startTimeoutMs: timeoutS * 1000 }),
  };
  const flagProblems = checkStackOverrides(overrides, "");
  for (const problem of flagProblems) {
    const [path = "", ...rest] = problem.split(": ");
    const flag = FLAG_OF[path] ?? path;
    const raw = values[flag as keyof Values] ?? (flag === "network" ? network : undefined);
    problems.push(
      `--${flag}: ${raw === undefined ? "" : `'${raw}' `}${rest.join(": ").replace(/^"[^"]*" is not/, "is not")}`,
    );
  }
  if (provider === "external" && !values.target) problems.push("--provider external: needs --target <file.json>");
  if (values.target && provider !== "external" && provider !== "auto")
    problems.push(`--target: a target file selects the external provider, not ${provider}`);
  return {
    provider,
    targetFile: values.target,
    // Loaded only when the flags are otherwise sound, so a bad flag is not hidden behind a file error.
    target: values.target && problems.length === 0 ? loadTargetFile(values.target, env) : undefined,
    overrides,
    settings: resolveStackSettings(flagProblems.length === 0 ? overrides : undefined),
    pgBindir: values["pg-bindir"] ?? env.PG_BINDIR,
    stateDir: stateDirFrom(values["state-dir"], env),
    logLevel: logLevelFrom(values["log-level"], problems),
  };
}

/** The one description of the stack to start, for `run` and `up` alike. */
export function stackRequest(
  flags: StackFlags,
  settings: StackSettings,
  world: World,
  signal: AbortSignal,
): StartStackOptions {
  return {
    provider: flags.target ? "external" : flags.provider,
    settings,
    ...(flags.target && { target: flags.target }),
    registry: new Registry(flags.stateDir),
    path: world.env.PATH ?? "",
    ...(flags.pgBindir && { pgBindir: flags.pgBindir }),
    signal,
    onNote: (line) => writeLine(world.stderr, `rehearse: ${line}`),
  };
}

/** Defaults < the scenario's `stack` block < flags, each layer already checked; then what only the
 * merged settings can show. Throws before anything starts. */
export function settingsFor(scenario: { file: string; stack: StackOverrides }, flags: StackFlags): StackSettings {
  const settings = resolveStackSettings(scenario.stack, flags.overrides);
  const problems = checkStackSettings(settings);
  if (problems.length > 0) throw new BadInputError(`scenario ${scenario.file} with the flags given`, problems);
  return settings;
}

function oneOfFlag<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
  problems: string[],
): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`--${flag}: '${value}' is not one of ${allowed.join(", ")}`);
  return undefined;
}

function definedOnly<T extends Record<string, unknown>>(
  record: T,
): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Partial<{
    [K in keyof T]: Exclude<T[K], undefined>;
  }>;
}
