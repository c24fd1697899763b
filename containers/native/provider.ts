/**
 * Native provider: initdb + postgres, pgbouncer and redis-server from the
 * machine, each in a subdirectory of one temp dir, on free loopback ports,
 * each in its own process group. The registry learns of the temp dir before
 * anything starts.
 */

import { appendFileSync, chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { StackStartError } from "../../core/errors.ts";
import type { Registry } from "../registry.ts";
import {
  initdbArgs,
  PG_HBA_ANY_HOST,
  postgresArgs,
  redisArgs,
  renderPgBouncerIni,
  renderPgBouncerUserlist,
} from "../server-config.ts";
import { serviceEnv } from "../service-env.ts";
import type { Credentials, StackSettings } from "../settings.ts";
import { stackSkeleton } from "../stack-skeleton.ts";
import type { LaunchPlan } from "../started-stack.ts";
import type { ServiceName } from "../types.ts";
import type { NativeBinaries } from "./binaries.ts";
import { ProcessService, type ProcessSpec } from "./process-service.ts";
import type { ServiceUser } from "./service-user.ts";

export const NATIVE_TEMP_PREFIX = "rehearse-native-";
/** Inside each native temp dir: who owns it, so `rehearse clean` can judge it without the registry. */
export const OWNER_FILE = "rehearse-owner.json";

export interface NativeDeps {
  binaries: NativeBinaries;
  /** undefined: run as the current user. */
  user: ServiceUser | undefined;
  registry: Registry;
  /** The caller's PATH, kept after the server binaries for `exec`. */
  path: string;
  tempRoot?: string;
}

export async function nativePlan(settings: StackSettings, deps: NativeDeps): Promise<LaunchPlan> {
  const { id, credentials, at, urls, secrets } = await stackSkeleton();
  const tempDir = mkdtempSync(join(deps.tempRoot ?? tmpdir(), NATIVE_TEMP_PREFIX));
  // The servers may run as another user; they must be able to reach their subdirectories.
  chmodSync(tempDir, 0o755);
  writeFileSync(join(tempDir, OWNER_FILE), JSON.stringify({ id, ownerPid: process.pid }));
  deps.registry.write({
    id,
    provider: "native",
    ownerPid: process.pid,
    createdAt: new Date().toISOString(),
    tempDir,
  });
  const ctx: NativeContext = { settings, deps, tempDir, credentials, at, id };

  return {
    id,
    provider: "native",
    urls,
    secrets,
    createDatabase: true,
    launch: {
      postgres: () => launchPostgres(ctx),
      pgbouncer: () => launchPgBouncer(ctx),
      redis: () => launchRedis(ctx),
    },
    async release() {
      rmSync(tempDir, { recursive: true, force: true });
      deps.registry.remove(id);
    },
  };
}

interface NativeContext {
  id: string;
  settings: StackSettings;
  deps: NativeDeps;
  tempDir: string;
  credentials: Credentials;
  at: Record<ServiceName, { host: string; port: number }>;
}

/** A directory for one service, owned by the user it runs as. */
function serviceDir(ctx: NativeContext, name: ServiceName): string {
  const dir = join(ctx.tempDir, name);
  mkdirSync(dir, { mode: 0o700 });
  own(ctx, dir);
  return dir;
}

function own(ctx: NativeContext, path: string): void {
  if (ctx.deps.user) chownSync(path, ctx.deps.user.uid, ctx.deps.user.gid);
}

function execEnv(ctx: NativeContext, name: ServiceName, extra: Record<string, string>): Record<string, string> {
  const path = [...ctx.deps.binaries.pathDirs, ctx.deps.path].join(":");
  // HOME is the stack dir: nothing of the caller's (.pgpass, .psqlrc) leaks into exec.
  return {
    PATH: path,
    HOME: ctx.tempDir,
    LANG: "C.UTF-8",
    ...serviceEnv(name, ctx.at[name], ctx.credentials),
    ...extra,
  };
}

async function startProcess(
  ctx: NativeContext,
  spec: Omit<ProcessSpec, "execEnv" | "user">,
  extraEnv: Record<string, string> = {},
) {
  const service = new ProcessService({ ...spec, user: ctx.deps.user, execEnv: execEnv(ctx, spec.name, extraEnv) });
  await service.start();
  return service;
}

async function launchPostgres(ctx: NativeContext): Promise<ProcessService> {
  const { binaries, user } = ctx.deps;
  const dir = serviceDir(ctx, "postgres");
  const dataDir = join(dir, "data");
  const passwordFile = join(dir, "pwfile");
  writeFileSync(passwordFile, `${ctx.credentials.password}\n`, { mode: 0o600 });
  own(ctx, passwordFile);
  const initdb = await execa(binaries.initdb, initdbArgs({ dataDir, user: ctx.credentials.user, passwordFile }), {
    cwd: dir,
    uid: user?.uid,
    gid: user?.gid,
    timeout: 60_000,
    reject: false,
    all: true,
  });
  rmSync(passwordFile, { force: true });
  if (initdb.exitCode !== 0) {
    throw new StackStartError("postgres", `initdb exited with ${initdb.exitCode}: ${String(initdb.all).slice(-2000)}`);
  }
  appendFileSync(join(dataDir, "pg_hba.conf"), PG_HBA_ANY_HOST);
  const args = postgresArgs({
    settings: ctx.settings.postgres,
    dataDir,
    listen: ctx.at.postgres,
    socketDir: dir,
  });
  return startProcess(ctx, {
    name: "postgres",
    port: ctx.at.postgres.port,
    command: binaries.postgres,
    args,
    cwd: dir,
    logFile: join(dir, "postgres.log"),
    stopSignal: "SIGINT",
  });
}

async function launchPgBouncer(ctx: NativeContext): Promise<ProcessService> {
  const dir = serviceDir(ctx, "pgbouncer");
  const authFile = join(dir, "userlist.txt");
  const iniFile = join(dir, "pgbouncer.ini");
  writeFileSync(authFile, renderPgBouncerUserlist(ctx.credentials), { mode: 0o600 });
  writeFileSync(
    iniFile,
    renderPgBouncerIni({
      settings: ctx.settings.pgbouncer,
      listen: ctx.at.pgbouncer,
      server: ctx.at.postgres,
      authFile,
      adminUser: ctx.credentials.user,
    }),
    { mode: 0o600 },
  );
  own(ctx, authFile);
  own(ctx, iniFile);
  return startProcess(
    ctx,
    {
      name: "pgbouncer",
      port: ctx.at.pgbouncer.port,
      command: ctx.deps.binaries.pgbouncer,
      args: [iniFile],
      cwd: dir,
      logFile: join(dir, "pgbouncer.log"),
      stopSignal: "SIGTERM",
    },
    { PGBOUNCER_INI: iniFile },
  );
}

async function launchRedis(ctx: NativeContext): Promise<ProcessService> {
  const dir = serviceDir(ctx, "redis");
  return startProcess(ctx, {
    name: "redis",
    port: ctx.at.redis.port,
    command: ctx.deps.binaries.redisServer,
    args: redisArgs({ settings: ctx.settings.redis, listen: ctx.at.redis, dir }),
    cwd: dir,
    logFile: join(dir, "redis.log"),
    stopSignal: "SIGTERM",
  });
}
