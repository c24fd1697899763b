/** Every action a scenario may name, by the name it uses. */
import type { ActionKind } from "../types.ts";
import { appRestart, appScale } from "./app.ts";
import { backup } from "./backup.ts";
import { flushCache, maxmemory, redisClientPause } from "./cache.ts";
import { deployBurst } from "./deploy-burst.ts";
import { migration } from "./migration.ts";
import { pgbouncerPause, pgbouncerReconnect, pgbouncerReload } from "./pgbouncer.ts";
import { freeze, kill, restart } from "./service.ts";

export const ACTION_KINDS: Record<string, ActionKind> = {
  "flush-cache": flushCache,
  maxmemory,
  "redis-client-pause": redisClientPause,
  restart,
  freeze,
  kill,
  "pgbouncer-pause": pgbouncerPause,
  "pgbouncer-reconnect": pgbouncerReconnect,
  "pgbouncer-reload": pgbouncerReload,
  backup,
  migration,
  "deploy-burst": deployBurst,
  "app-restart": appRestart,
  "app-scale": appScale,
};
