/** Messages between rehearse and the process that hosts a deploy burst's workers (over the IPC channel). */
import type { DbSettings } from "../../clients/db.ts";
import type { ActionResult } from "../types.ts";

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

export type ChildMessage = { type: "warmed"; result: ActionResult } | { type: "failed"; message: string };
