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
  /** k6's check(): every predicate is run and counted in the `checks` rate; true when all held.
   * A failed check is not an error (as in k6): give it a threshold, e.g. `checks: ["rate>0.99"]`. */
  check<T>(value: T, checks: Record<string, (value: T) => boolean>): boolean;
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

function runChecks<T>(timer: IterationTimer, value: T, checks: Record<string, (value: T) => boolean>): boolean {
  let all = true;
  for (const predicate of Object.values(checks)) {
    let held = false;
    try {
      held = predicate(value) === true;
    } catch {
      held = false; // a check that throws did not hold
    }
    if (held) timer.checksPassed++;
    else timer.checksFailed++;
    all &&= held;
  }
  return all;
}

export function opContext(targets: OpTargets, timer: IterationTimer, vu: number, iteration: number): OpContext {
  return {
    db: new DbView(targets.pool, timer),
    cache: new CacheView(targets.redis, timer, targets.cachePrefix),
    http: new HttpView(targets.http ?? NO_APP, timer),
    check: (value, checks) => runChecks(timer, value, checks),
    vu,
    iteration,
  };
}
