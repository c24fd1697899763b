/**
 * Pure renderers for the three servers' launch configuration. Every provider
 * that starts servers (containers, native) uses these, so a stack behaves the
 * same whichever way it was started.
 */
import type { Credentials, PgBouncerSettings, PostgresSettings, RedisSettings } from "./settings.ts";

export interface Endpoint {
  host: string;
  port: number;
}

export interface PgBouncerIniInput {
  settings: PgBouncerSettings;
  listen: Endpoint;
  server: Endpoint;
  authFile: string;
  adminUser: string;
}

/** PgBouncer ini: one wildcard database to the server, an admin/stats user, the pool settings. */
export function renderPgBouncerIni({ settings: s, listen, server, authFile, adminUser }: PgBouncerIniInput): string {
  const lines = [
    "[databases]",
    `* = host=${server.host} port=${server.port}`,
    "",
    "[pgbouncer]",
    `listen_addr = ${listen.host}`,
    `listen_port = ${listen.port}`,
    // No unix socket: it would need a writable, image-specific directory.
    "unix_socket_dir =",
    "auth_type = scram-sha-256",
    `auth_file = ${authFile}`,
    `admin_users = ${adminUser}`,
    `stats_users = ${adminUser}`,
    `pool_mode = ${s.poolMode}`,
    `default_pool_size = ${s.defaultPoolSize}`,
    `min_pool_size = ${s.minPoolSize}`,
    `reserve_pool_size = ${s.reservePoolSize}`,
    `reserve_pool_timeout = ${s.reservePoolTimeout}`,
    `max_client_conn = ${s.maxClientConn}`,
    `max_db_connections = ${s.maxDbConnections}`,
    `query_wait_timeout = ${s.queryWaitTimeout}`,
    `server_login_retry = ${s.serverLoginRetry}`,
    // Drivers such as JDBC send it on connect; PgBouncer would refuse them otherwise.
    "ignore_startup_parameters = extra_float_digits",
    "",
  ];
  return lines.join("\n");
}

/** PgBouncer auth_file with a plain-text password, which it can use for SCRAM both ways. */
export function renderPgBouncerUserlist(credentials: Credentials): string {
  const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;
  return `${quote(credentials.user)} ${quote(credentials.password)}\n`;
}

export interface InitdbInput {
  dataDir: string;
  user: string;
  passwordFile: string;
}

export function initdbArgs({ dataDir, user, passwordFile }: InitdbInput): string[] {
  return [
    "-D",
    dataDir,
    "-U",
    user,
    `--pwfile=${passwordFile}`,
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
    "--encoding=UTF8",
    "--locale=C",
    // The cluster is disposable; syncing it to disk only slows start-up.
    "--no-sync",
  ];
}

/** Appended to pg_hba.conf: PgBouncer may sit in another container (bridge networking). */
export const PG_HBA_ANY_HOST = "host all all all scram-sha-256\n";

export interface PostgresArgsInput {
  settings: PostgresSettings;
  dataDir: string;
  listen: Endpoint;
  socketDir: string;
}

export function postgresArgs({ settings, dataDir, listen, socketDir }: PostgresArgsInput): string[] {
  const config: Record<string, string> = {
    listen_addresses: listen.host,
    unix_socket_directories: socketDir,
    ...settings.config,
  };
  const args = ["-D", dataDir, "-p", String(listen.port)];
  for (const [name, value] of Object.entries(config)) args.push("-c", `${name}=${value}`);
  return args;
}

export interface RedisArgsInput {
  settings: RedisSettings;
  listen: Endpoint;
  dir: string;
}

export function redisArgs({ settings, listen, dir }: RedisArgsInput): string[] {
  const args = [
    "--port",
    String(listen.port),
    "--bind",
    listen.host,
    "--protected-mode",
    "no",
    "--daemonize",
    "no",
    // A cache: no snapshots or AOF, so a restart comes back empty (a cold cache).
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--maxmemory-policy",
    settings.maxmemoryPolicy,
  ];
  if (settings.maxmemory) args.push("--maxmemory", settings.maxmemory);
  return args;
}

/** Quote one argument for POSIX sh. */
export function shellQuote(arg: string): string {
  if (arg !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function shellCommand(argv: string[]): string {
  return argv.map(shellQuote).join(" ");
}
