/** Finds the server binaries for the native provider: PATH, `pg_config --bindir`, Debian's layout. */
import { accessSync, constants, readdirSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { execaSync } from "execa";

export interface NativeBinaries {
  initdb: string;
  postgres: string;
  pgbouncer: string;
  redisServer: string;
  /** Directories to put first on PATH for `exec` (pg_dump, psql, redis-cli live there). */
  pathDirs: string[];
}

export interface BinaryLookup {
  /** PATH to search (injected; defaults to process.env.PATH at the CLI). */
  path: string;
  /** Postgres bin dir given explicitly (e.g. $PG_BINDIR). */
  pgBindir?: string;
}

const EXTRA_DIRS = ["/usr/sbin", "/usr/local/sbin", "/sbin"];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findIn(dirs: string[], name: string): string | undefined {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function pgConfigBindir(pathDirs: string[]): string | undefined {
  const pgConfig = findIn(pathDirs, "pg_config");
  if (!pgConfig) return undefined;
  try {
    return execaSync(pgConfig, ["--bindir"], { timeout: 5_000 }).stdout.trim();
  } catch {
    return undefined;
  }
}

/** Debian installs each major version under /usr/lib/postgresql/N/bin; prefer the newest. */
function debianPgBindirs(): string[] {
  try {
    return readdirSync("/usr/lib/postgresql")
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch {
    return [];
  }
}

/** Returns the binaries, or the list of what is missing with where it was looked for. */
export function findNativeBinaries(lookup: BinaryLookup): NativeBinaries | { missing: string[] } {
  const pathDirs = lookup.path.split(delimiter).filter(Boolean);
  const pgDirs = [lookup.pgBindir, pgConfigBindir(pathDirs), ...debianPgBindirs(), ...pathDirs].filter(
    (d): d is string => Boolean(d),
  );
  // initdb and postgres must come from the same installation.
  const initdb = findIn(pgDirs, "initdb");
  const postgres = initdb ? findIn([dirname(initdb)], "postgres") : undefined;
  const pgbouncer = findIn([...pathDirs, ...EXTRA_DIRS], "pgbouncer");
  const redisServer = findIn([...pathDirs, ...EXTRA_DIRS], "redis-server");
  const missing: string[] = [];
  if (!initdb || !postgres)
    missing.push("initdb/postgres (PATH, $PG_BINDIR, pg_config --bindir, /usr/lib/postgresql/*/bin)");
  if (!pgbouncer) missing.push("pgbouncer (PATH, /usr/sbin)");
  if (!redisServer) missing.push("redis-server (PATH, /usr/sbin)");
  if (!initdb || !postgres || !pgbouncer || !redisServer) return { missing };
  const dirs = [dirname(initdb), dirname(pgbouncer), dirname(redisServer)];
  return { initdb, postgres, pgbouncer, redisServer, pathDirs: [...new Set(dirs)] };
}
