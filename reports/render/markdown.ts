/** report.md: a compact summary for CI (status, thresholds, deltas, recovery, findings, comparison). */

import type { Comparison } from "../compare.ts";
import { hostCpuLine } from "../host-cpu.ts";
import { measuredPhases, type RunReport } from "../schema.ts";
import { comparisonCells, comparisonHeadline, noiseLine } from "./comparison.ts";
import { escapeMdCell as cell } from "./escape.ts";
import { findings } from "./findings.ts";
import { appInstanceText, DEFAULTS_HELD, thresholdCell, thresholdsToList } from "./format.ts";
import { segmentsLine } from "./segments.ts";
import { ACTION_COLUMNS, actionRows, type Column, DELTA_COLUMNS, PHASE_SIGNAL_COLUMNS } from "./tables.ts";

const ICON: Record<RunReport["status"], string> = { passed: "✅", failed: "❌", invalid: "⚠️", aborted: "⏹️" };

export function renderMarkdown(report: RunReport, comparison?: Comparison): string {
  const lines: string[] = [];
  lines.push(`## ${ICON[report.status]} rehearse: ${cell(report.scenario)} — ${report.status.toUpperCase()}`);
  lines.push("");
  lines.push(
    `${cell(report.provider)} · ${(report.durationMs / 1000).toFixed(1)} s · started ${report.startedAt} · generator ${report.generator.valid ? "valid" : "**INVALID**"} (${Number(report.generator.achievedRate.toFixed(1))}/${Number(report.generator.targetRate.toFixed(1))} it/s, dispatch lag p99 ${report.generator.dispatchLagP99Ms} ms)`,
  );
  const segments = segmentsLine(report);
  if (segments) lines.push("", segments);
  const host = hostCpuLine(report);
  if (host) lines.push("", host);
  for (const reason of report.statusReasons) lines.push(`- ${cell(reason)}`);
  const found = findings(report).slice(0, 8);
  if (found.length > 0) {
    lines.push("", "### Findings", "");
    for (const f of found) lines.push(`1. ${cell(f.text)}`);
  }
  if (report.thresholds.length > 0) {
    const { listed, defaultsHeld } = thresholdsToList(report.thresholds);
    lines.push("", "### Thresholds", "", "| | metric | expression | actual |", "|---|---|---|---:|");
    for (const t of listed)
      lines.push(`| ${t.ok ? "✅" : "❌"} | ${cell(t.metric)} | ${cell(t.expression)} | ${cell(thresholdCell(t))} |`);
    if (defaultsHeld > 0) lines.push(`| ✅ | ${cell(DEFAULTS_HELD(defaultsHeld))} | | |`);
  }
  if (report.deltas.length > 0) {
    lines.push("", "### Deltas against the baseline (per op)", "", ...mdTable(DELTA_COLUMNS, report.deltas));
  }
  if ((report.phaseSignals ?? []).length > 0) {
    lines.push(
      "",
      "### What the servers saw (per phase)",
      "",
      ...mdTable(PHASE_SIGNAL_COLUMNS, report.phaseSignals ?? []),
    );
  }
  if (report.actions.length > 0) {
    lines.push("", "### Actions", "", ...mdTable(ACTION_COLUMNS, actionRows(report)));
  }
  const measured = measuredPhases(report);
  const named = report.ops.filter((o) => measured.has(o.phase) && (o.requests?.length ?? 0) > 0);
  if (named.length > 0) {
    lines.push(
      "",
      "### HTTP requests by name",
      "",
      "| phase | op | name | requests | failed | p95 ms | statuses |",
      "|---|---|---|---:|---:|---:|---|",
    );
    for (const o of named)
      for (const r of o.requests ?? [])
        lines.push(
          `| ${cell(o.phase)} | ${cell(o.op)} | ${cell(r.name)} | ${r.count} | ${r.failed} | ${r.durationMs.p95} | ${cell(
            Object.entries(r.statusCounts)
              .map(([s, n]) => `${s}: ${n}`)
              .join(", "),
          )} |`,
        );
  }
  if (report.app) {
    lines.push("", "### App under test", "", "| instance | port | life |", "|---:|---:|---|");
    lines.push(...report.app.instances.map((i, n) => `| ${n + 1} | ${i.port} | ${cell(appInstanceText(i))} |`));
  }
  if (comparison) lines.push("", ...comparisonMarkdown(comparison));
  return `${lines.join("\n")}\n`;
}

/** A table from a list of columns (the HTML report renders the same list). */
function mdTable<T>(columns: Column<T>[], rows: T[]): string[] {
  return [
    `| ${columns.map((c) => c.title).join(" | ")} |`,
    `|${columns.map((_, i) => (i < 2 ? "---" : "---:")).join("|")}|`,
    ...rows.map((row) => `| ${columns.map((c) => cell(c.cell(row).text)).join(" | ")} |`),
  ];
}

export function comparisonMarkdown(c: Comparison): string[] {
  const lines = [
    `### Against ${cell(c.baseScenario)} of ${c.baseStartedAt}`,
    "",
    cell(comparisonHeadline(c)),
    "",
    cell(noiseLine(c)),
    "",
  ];
  const shown = comparisonCells(c).filter((r) => !r.verdict.startsWith("within noise"));
  if (shown.length > 0) {
    lines.push("| phase | op | metric | base [95%] | new [95%] | Δ | verdict |", "|---|---|---|---:|---:|---:|---|");
    for (const r of shown)
      lines.push(
        `| ${cell(r.phase)} | ${cell(r.op)} | ${r.metric} | ${r.base} | ${r.next} | ${r.delta} | ${cell(r.verdict)} |`,
      );
    lines.push("", "Every other check: within noise.");
  } else lines.push(`All ${c.rows.length} checks within noise.`);
  for (const d of c.disturbed) lines.push(`- disturbed: ${cell(d)}`);
  for (const u of c.unmatched) lines.push(`- ${cell(u)}`);
  return lines;
}
