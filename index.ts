/**
 * The public API: what a scenario script imports from "rehearse".
 *   import { defineScenario } from "rehearse";
 * Everything a scenario author touches is typed from here; nothing else in
 * the package is a contract (deep imports are not exported).
 */
export type {
  PgBouncerSettings,
  PoolMode,
  PostgresSettings,
  RedisSettings,
  StackOverrides,
} from "./containers/settings.ts";
export type { ActionSpec } from "./harness/actions/timeline.ts";
export type { AppDefinition } from "./harness/app/app-spec.ts";
export type { Cache } from "./harness/clients/cache.ts";
export type { Db, DbSettings } from "./harness/clients/db.ts";
export type { Http, HttpResponse, RequestOptions } from "./harness/clients/http.ts";
export type { Op, OpContext } from "./harness/clients/op-context.ts";
export { defineScenario, type ScenarioDefinition } from "./harness/scenario/define.ts";
