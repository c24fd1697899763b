/** Reads a report.json given on the command line: a missing, unreadable or foreign file is bad input (exit 2). */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { BadInputError } from "../core/errors.ts";
import { type RunReport, SCHEMA_VERSION } from "./schema.ts";

const REQUIRED = ["status", "scenario", "phases", "ops", "deltas", "thresholds", "generator"] as const;

export function readReportFile(path: string): RunReport {
  return checkedReport(parseJsonFile(path), path);
}

function parseJsonFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "file does not exist" : (error as Error).message;
    throw new BadInputError(`report ${path}`, [reason]);
  }
}

function checkedReport(parsed: unknown, path: string): RunReport {
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

const MAX_DEPTH = 4;

/** Every report in a directory (recursively, 4 levels): *.json files that are run reports (other JSON, such as
 * capacity.json, is passed over; a report.json always counts); a report that cannot be read is bad input, as on the command line. */
export function readReportDir(dir: string): RunReport[] {
  const files: string[] = [];
  const walk = (at: string, depth: number) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory() && depth < MAX_DEPTH) walk(path, depth + 1);
      else if (entry.isFile() && entry.name.endsWith(".json")) files.push(path);
    }
  };
  walk(dir, 0);
  // Each file read and parsed once: a report.json must be a report; other JSON only counts if it is one.
  return files.sort().flatMap((path) => {
    if (basename(path) === "report.json") return [readReportFile(path)];
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, "utf8"));
    } catch {
      return [];
    }
    const looksLikeReport = typeof parsed === "object" && parsed !== null && "scenario" in parsed && "ops" in parsed;
    return looksLikeReport ? [checkedReport(parsed, path)] : [];
  });
}
