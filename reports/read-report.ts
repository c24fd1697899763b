/** Reads a report.json given on the command line: a missing, unreadable or foreign file is bad input (exit 2). */
import { readFileSync } from "node:fs";
import { BadInputError } from "../core/errors.ts";
import { type RunReport, SCHEMA_VERSION } from "./schema.ts";

const REQUIRED = ["status", "scenario", "phases", "ops", "deltas", "thresholds", "generator"] as const;

export function readReportFile(path: string): RunReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "file does not exist" : (error as Error).message;
    throw new BadInputError(`report ${path}`, [reason]);
  }
  const report = parsed as Partial<RunReport> | null;
  if (!report || typeof report !== "object") throw new BadInputError(`report ${path}`, ["not a report.json object"]);
  if (report.schemaVersion !== SCHEMA_VERSION) {
    throw new BadInputError(`report ${path}`, [
      `schemaVersion: ${JSON.stringify(report.schemaVersion)} (this rehearse reads ${SCHEMA_VERSION})`,
    ]);
  }
  const missing = REQUIRED.filter((k) => report[k] === undefined);
  if (missing.length > 0)
    throw new BadInputError(
      `report ${path}`,
      missing.map((k) => `${k}: missing`),
    );
  return { perSecond: { originMs: 0, intervalMs: 1000, ops: {} }, timeline: [], actions: [], ...report } as RunReport;
}
