/**
 * What a scenario script default-exports. `defineScenario` only types it;
 * the loader validates everything before anything starts.
 */
import type { Scenario, Threshold } from "k6/options";
import type { StackOverrides } from "../../containers/settings.ts";
import type { ActionSpec } from "../actions/timeline.ts";
import type { AppDefinition } from "../app/app-spec.ts";
import type { Db, DbSettings } from "../clients/db.ts";
import type { Op } from "../clients/op-context.ts";

export interface ScenarioDefinition {
  /** Defaults to the file name. */
  name?: string;
  description?: string;
  /** PgBouncer pool mode and sizes, Redis maxmemory, Postgres settings. */
  stack?: StackOverrides;
  /** Rows in the reference workload's events table (0 or absent: no seeding), or your own seeding,
   * straight at Postgres: `seed: async ({ db }) => { await db.query("INSERT ...") }`. */
  seed?: { scale: number } | ((context: { db: Db }) => Promise<unknown>);
  /** The app under test: started after the stack is up and seeded, with its URLs in its environment. */
  app?: AppDefinition;
  workload: {
    /** The built-in reference workload's ops (dashboard, search, export, write, job). */
    reference?: "saas";
    /** Your own ops; they may also call the reference ones by name. */
    ops?: Record<string, Op>;
    /** Client-side pool and timeouts (they change what latency means, so the report records them). */
    client?: Partial<DbSettings>;
    /** Prefix of every cache key the workload uses. Default "rehearse:". */
    cachePrefix?: string;
    /** TTL of the reference workload's cached dashboards. Default 300. */
    cacheTtlSeconds?: number;
  };
  /** k6 scenarios: name → executor options. */
  scenarios: Record<string, Scenario>;
  /** Consecutive phases from the start, e.g. baseline → fault → recovery. Default: one phase, `run`. */
  phases?: { name: string; duration: string }[];
  /** The phase later ones are compared with (earlier ones are warm-up). Default: the first. */
  baseline?: string;
  /** Faults on the timeline: { at: "20s", action: "freeze", service: "pgbouncer", duration: "5s" }. */
  actions?: ActionSpec[];
  /** After a fault, an op counts as recovered once it stayed within its baseline band this long (default "5s"). */
  recovery?: { stableFor?: string };
  /** k6's thresholds; rehearse's `latency`, `pool_wait`, `service_time` and `errors` hold per op (one that names
   * no op holds for each), and in phases after the baseline on every rolling `window` too (default 10 s). */
  thresholds?: Record<string, ThresholdSpec | ThresholdSpec[]>;
}

/** k6's threshold (an expression, or `{ threshold, abortOnFail, delayAbortEval }`), plus `window`: the rolling
 * window a fault phase's budget must hold in ("5s"; "0s": the whole phase only). */
export type ThresholdSpec =
  | Threshold
  | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string; window?: string };

export function defineScenario(definition: ScenarioDefinition): ScenarioDefinition {
  return definition;
}
