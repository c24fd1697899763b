/** The public contract every stack provider implements. */

import type { ProcStat } from "../core/procfs.ts";

export const SERVICE_NAMES = ["postgres", "pgbouncer", "redis"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const PROVIDER_NAMES = ["testcontainers", "native", "external"] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Connection URLs of a started stack. They carry passwords: print them through `redactUrl`. */
export interface StackUrls {
  /** Postgres directly, bypassing PgBouncer. */
  postgres: string;
  /** The application path: PgBouncer in front of Postgres. */
  pgbouncer: string;
  /** PgBouncer's admin console (database `pgbouncer`), for SHOW POOLS / SHOW STATS. */
  pgbouncerAdmin: string;
  redis: string;
}

export interface ExecOptions {
  /** Extra environment for the command; the service's own (PGHOST, PGPORT...) is always set. */
  env?: Record<string, string>;
  /** Kill the command after this long. Default 60 s. */
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** One running service, as a provider sees it. Lifecycle operations are bounded in time. */
export interface ServiceHandle {
  readonly name: ServiceName;
  /** Loopback port clients use; stays the same across stop/start. */
  readonly port: number;
  /** Freeze every process of the service (SIGSTOP / docker pause). */
  pause(): Promise<void>;
  unpause(): Promise<void>;
  stop(): Promise<void>;
  /** SIGKILL, no grace: a crash, not a shutdown (Postgres then runs crash recovery on start). */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Whether the service's process is alive (frozen counts as alive). */
  isRunning(): Promise<boolean>;
  /** Run a command in the service's environment (its binaries, its user, PG* / REDIS* env). */
  exec(argv: string[], options?: ExecOptions): Promise<ExecResult>;
  /** The last lines the service logged, for error messages. */
  logTail(lines: number): Promise<string>;
  /** Its processes as this machine sees them (their CPU is sampled); empty when they are not visible here
   * (an external server, a Docker engine in a VM). */
  hostPids(processes?: ProcStat[]): Promise<number[]>;
  /** Stop and remove everything the service owns (container, process group, data). Idempotent. */
  remove(): Promise<void>;
}

/** A stack whose three services answer; owns them until `teardown()`. */
export interface StartedStack extends AsyncDisposable {
  readonly id: string;
  readonly provider: ProviderName;
  readonly urls: StackUrls;
  /** Server versions as the servers report them. */
  readonly versions: Record<ServiceName, string>;
  pause(service: ServiceName): Promise<void>;
  unpause(service: ServiceName): Promise<void>;
  stop(service: ServiceName): Promise<void>;
  kill(service: ServiceName): Promise<void>;
  /** Start a stopped service again on the same port and wait until it answers. */
  start(service: ServiceName): Promise<void>;
  restart(service: ServiceName): Promise<void>;
  exec(service: ServiceName, argv: string[], options?: ExecOptions): Promise<ExecResult>;
  /** The service's processes as this machine sees them; empty when not visible (external, a remote engine). */
  hostPids(service: ServiceName, processes?: ProcStat[]): Promise<number[]>;
  /** Run a PgBouncer admin console command (SHOW POOLS, RELOAD, PAUSE...) and return its rows. */
  pgbouncerAdmin(command: string): Promise<Record<string, unknown>[]>;
  /** Stop and remove everything. Idempotent; never throws for an already-gone service. */
  teardown(): Promise<void>;
}
