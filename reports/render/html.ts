/**
 * report.html: one self-contained file (uPlot and its CSS inlined, the data
 * as JSON in the page, no network) with time-series charts, shaded phases and
 * action windows, findings, the delta table coloured by how bad each change
 * is, thresholds, generator health, actions and the run's settings.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Comparison } from "../compare.ts";
import type { RunReport } from "../schema.ts";
import { chartData } from "./chart-data.ts";
import { comparisonCells, comparisonHeadline, noiseLine } from "./comparison.ts";
import { escapeHtml as h, jsonForScript } from "./escape.ts";
import { findings } from "./findings.ts";
import { appInstanceText, thresholdCell, workerText } from "./format.ts";
import { CHART_SCRIPT } from "./html-script.ts";
import { segmentsLine } from "./segments.ts";
import { ACTION_COLUMNS, actionRows, type Column, DELTA_COLUMNS, PHASE_SIGNAL_COLUMNS } from "./tables.ts";

const require = createRequire(import.meta.url);
let uplot: { js: string; css: string } | undefined;
/** The charting library, read once from its package (the page must not fetch it). */
export function uplotAssets(): { js: string; css: string } {
  uplot ??= {
    js: readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8"),
    css: readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
  };
  return uplot;
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#0f172a;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:4px 8px;border-bottom:1px solid #e2e8f0;text-align:right}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
.status{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}
.passed{background:#16a34a}.failed{background:#dc2626}.invalid{background:#d97706}.aborted{background:#64748b}
.bad{background:#fee2e2;color:#991b1b;font-weight:600}.warn{background:#fef3c7;color:#92400e}.good{color:#166534}
.chart{margin:12px 0}.muted{color:#64748b}code{font-size:12px}ol li{margin:4px 0}`;

const td = (text: string | number, cls = "") => `<td${cls ? ` class="${cls}"` : ""}>${h(String(text))}</td>`;
const table = (head: string[], rows: string[]) =>
  `<table><thead><tr>${head.map((c) => `<th>${h(c)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;

/** A table from a list of columns (the Markdown report renders the same list). */
function columnsTable<T>(columns: Column<T>[], rows: T[]): string {
  return table(
    columns.map((c) => c.title),
    rows.map(
      (row) =>
        `<tr>${columns
          .map((c) => {
            const cell = c.cell(row);
            return td(cell.text, cell.badness ?? "");
          })
          .join("")}</tr>`,
    ),
  );
}

function settingsRows(report: RunReport): string[] {
  const flat: [string, unknown][] = [
    ...Object.entries(report.versions ?? {}).map(([k, v]): [string, unknown] => [`version.${k}`, v]),
    ...Object.entries(report.settings ?? {}).flatMap(([group, values]) =>
      Object.entries((values ?? {}) as Record<string, unknown>).map(([k, v]): [string, unknown] => [
        `${group}.${k}`,
        v,
      ]),
    ),
    ...Object.entries(report.client ?? {}).map(([k, v]): [string, unknown] => [`client.${k}`, v]),
    ...Object.entries(report.seed ?? {}).map(([k, v]): [string, unknown] => [`seed.${k}`, v]),
  ];
  return flat.map(([k, v]) => `<tr>${td(k)}${td(typeof v === "object" ? JSON.stringify(v) : String(v))}</tr>`);
}

export function renderHtml(report: RunReport, comparison?: Comparison): string {
  const { js, css } = uplotAssets();
  const data = chartData(report);
  const g = report.generator;
  const found = findings(report);
  const sections: string[] = [];
  sections.push(
    `<h1>rehearse: ${h(report.scenario)} <span class="status ${report.status}">${h(report.status.toUpperCase())}</span></h1>`,
    `<div class="muted">${h(report.provider)} · ${(report.durationMs / 1000).toFixed(1)} s · started ${h(report.startedAt)} · ${h(report.scenarioFile ?? "")}</div>`,
    ...(segmentsLine(report) ? [`<div class="muted">${h(segmentsLine(report) ?? "")}</div>`] : []),
    report.statusReasons.length ? `<ul>${report.statusReasons.map((r) => `<li>${h(r)}</li>`).join("")}</ul>` : "",
  );
  sections.push(
    "<h2>Findings</h2>",
    found.length
      ? `<ol>${found.map((f) => `<li>${h(f.text)}</li>`).join("")}</ol>`
      : "<p>Nothing moved beyond the noise.</p>",
  );
  sections.push(
    "<h2>Timeline</h2>",
    `<p class="muted">Phases shaded grey, action windows orange, services not answering red.</p>`,
    ...data.charts.map((c) => `<div class="chart" id="chart-${h(c.id)}" data-title="${h(c.title)}"></div>`),
  );
  if (report.deltas.length) {
    sections.push("<h2>Deltas against the baseline (per op)</h2>", columnsTable(DELTA_COLUMNS, report.deltas));
  }
  if ((report.phaseSignals ?? []).length) {
    sections.push(
      "<h2>What the servers saw (per phase)</h2>",
      `<p class="muted">The servers' signals are the server's, shared by every op: PgBouncer's wait and queue, Redis' and Postgres' hit ratios, lock waiters.</p>`,
      columnsTable(PHASE_SIGNAL_COLUMNS, report.phaseSignals ?? []),
    );
  }
  sections.push(
    "<h2>Thresholds</h2>",
    report.thresholds.length
      ? table(
          ["", "metric", "expression", "actual"],
          report.thresholds.map(
            (t) =>
              `<tr>${td(t.ok ? "✓ pass" : "✗ fail", t.ok ? "good" : "bad")}${td(t.metric)}${td(t.expression)}${td(thresholdCell(t))}</tr>`,
          ),
        )
      : "<p>None.</p>",
  );
  if (comparison) {
    sections.push(
      `<h2>Against the run of ${h(comparison.baseStartedAt)}</h2>`,
      `<p>${h(comparisonHeadline(comparison))}<br>${h(noiseLine(comparison))}</p>`,
      table(
        ["phase", "op", "metric", "base [95%]", "new [95%]", "Δ", "verdict"],
        comparisonCells(comparison).map(
          (r) =>
            `<tr>${td(r.phase)}${td(r.op)}${td(r.metric)}${td(r.base)}${td(r.next)}${td(r.delta)}${td(r.verdict, r.verdict.startsWith("regression") ? "bad" : r.verdict.startsWith("improvement") ? "good" : "")}</tr>`,
        ),
      ),
    );
  }
  sections.push(
    "<h2>Generator</h2>",
    table(
      ["", "value"],
      [
        `<tr>${td("valid")}${td(g.valid ? "yes" : `no: ${g.reasons.join("; ")}`, g.valid ? "good" : "bad")}</tr>`,
        ...(g.notes ?? []).map((n) => `<tr>${td("note")}${td(n)}</tr>`),
        `<tr>${td("target / achieved rate")}${td(`${g.targetRate} / ${g.achievedRate} it/s`)}</tr>`,
        `<tr>${td("dropped iterations")}${td(g.droppedIterations)}</tr>`,
        `<tr>${td("dispatch lag p99")}${td(`${g.dispatchLagP99Ms} ms`)}</tr>`,
        `<tr>${td("late iterations")}${td(`${g.lateIterations} (${(g.lateShare * 100).toFixed(2)}%)`)}</tr>`,
        `<tr>${td("event-loop delay p99 / CPU")}${td(`${g.eventLoopDelayP99Ms} ms / ${g.cpuPercent}%`)}</tr>`,
        ...(g.workers ?? []).map(
          (w) => `<tr>${td(`load worker ${w.segment}`)}${td(workerText(w), w.valid ? "" : "bad")}</tr>`,
        ),
      ],
    ),
    ...(report.app
      ? [
          `<h2>App under test</h2><p><code>${h(report.app.command)}</code>; times on the run's clock (negative: before the load)</p>`,
          table(
            ["instance", "port", "life", "log"],
            report.app.instances.map(
              (i, n) =>
                `<tr>${td(n + 1)}${td(i.port)}${td(appInstanceText(i), i.crashed ? "bad" : "")}<td><code>${h(i.log)}</code>${i.crashed ? `<pre>${h(i.crashed.lastLines)}</pre>` : ""}</td></tr>`,
            ),
          ),
        ]
      : []),
    "<h2>Actions</h2>",
    report.actions.length
      ? `${columnsTable(ACTION_COLUMNS, actionRows(report))}<details><summary class="muted">each action's full result</summary>${table(
          ["action", "result"],
          report.actions.map((a) => `<tr>${td(a.name)}<td><code>${h(JSON.stringify(a.result))}</code></td></tr>`),
        )}</details>`
      : "<p>None.</p>",
    "<h2>Settings</h2>",
    table(["setting", "value"], settingsRows(report)),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rehearse: ${h(report.scenario)} — ${h(report.status)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<style>${css}</style><style>${STYLE}</style></head>
<body>
${sections.join("\n")}
<script id="rehearse-data" type="application/json">${jsonForScript(data)}</script>
<script>${js}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
