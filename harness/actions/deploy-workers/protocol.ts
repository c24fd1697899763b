/** Messages between rehearse and the process that hosts a deploy burst's workers (over the IPC channel). */

import type { ActionResults } from "../../../reports/schema.ts";
import type { DbSettings } from "../../clients/db.ts";

/** What the warm-up reports: the burst's result, less what rehearse adds around it (migration, PgBouncer). */
export type WarmedFleet = Pick<
  ActionResults["deploy-burst"],
  | "workers"
  | "poolSize"
  | "connections"
  | "connectedMaxMs"
  | "warmOp"
  | "warmIterations"
  | "warmErrors"
  | "warmFirstError"
  | "warmedMaxMs"
>;

/** Sent once, over IPC rather than argv or env: the URLs carry the stack's password. */
export interface FleetConfig {
  type: "start";
  scenarioFile: string;
  pgbouncerUrl: string;
  redisUrl: string;
  cachePrefix: string;
  client: DbSettings;
  workers: number;
  poolSize: number;
  warmOp: string | null;
  warmIterations: number;
  warmLimitMs: number;
}

export type ParentMessage = FleetConfig | { type: "stop" };

export type ChildMessage = { type: "warmed"; result: WarmedFleet } | { type: "failed"; message: string };
