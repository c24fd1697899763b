/** What an op receives: instrumented clients bound to one iteration's timer. Built in one place for the
 * load and for a deploy burst's workers, so both see the same clients. */
import type { Redis } from "ioredis";
import type pg from "pg";
import { type Cache, CacheView } from "./cache.ts";
import { type Db, DbView } from "./db.ts";
import { DEFAULT_HTTP_SETTINGS, type Http, HttpTargets, HttpView } from "./http.ts";
import type { IterationTimer } from "./iteration-timer.ts";

export interface OpContext {
  db: Db;
  cache: Cache;
  /** The app under test (its instances round robin), when the scenario has one. */
  http: Http;
  vu: number;
  iteration: number;
}

export type Op = (ctx: OpContext) => Promise<unknown>;

export interface OpTargets {
  pool: pg.Pool;
  redis: Redis;
  /** Every cache key the workload touches starts with it (flushes can be limited to it). */
  cachePrefix: string;
  /** The app's instances; absent: no app (an http call then fails, counted as a connection error). */
  http?: HttpTargets;
}

const NO_APP = new HttpTargets(DEFAULT_HTTP_SETTINGS);

export function opContext(targets: OpTargets, timer: IterationTimer, vu: number, iteration: number): OpContext {
  return {
    db: new DbView(targets.pool, timer),
    cache: new CacheView(targets.redis, timer, targets.cachePrefix),
    http: new HttpView(targets.http ?? NO_APP, timer),
    vu,
    iteration,
  };
}
