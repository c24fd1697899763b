/** One line saying a report is a segment's part or merged from parts (every renderer's header shows it). */
import type { RunReport } from "../schema.ts";

export function segmentsLine(report: RunReport): string | undefined {
  const s = report.segment;
  if (s)
    return `segment ${s.index}/${s.count}${s.loadOnly ? " (load only)" : ""} of a run from ${s.startAt}: the run's verdict is the merged report's`;
  const m = report.merged;
  if (!m) return undefined;
  const named = [
    m.missing.length > 0 ? `missing ${m.missing.join(", ")}` : "",
    m.late.length > 0 ? `late ${m.late.join(", ")}` : "",
    m.overlapping.length > 0 ? `given twice ${m.overlapping.join(", ")}` : "",
  ].filter(Boolean);
  return `merged from ${m.parts.length} of ${m.count} segments started at ${m.startAt}${named.length > 0 ? ` (${named.join("; ")})` : ""}`;
}
