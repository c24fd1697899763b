/**
 * capacity.html: one self-contained page (uPlot inlined, the data as JSON in
 * the page, no network): p95 per op and pool wait against the step rate, the
 * latency budget drawn as a line, so the knee is visible; the headline and
 * the step table.
 */
import { escapeHtml as h, jsonForScript } from "../render/escape.ts";
import { uplotAssets } from "../render/html.ts";
import { capacityHeadline } from "./render.ts";
import type { CapacityReport, CapacityStep } from "./schema.ts";

/** Per rate, the step that decided it (a confirmed breach's repeat; otherwise the last). */
function byRate(steps: CapacityStep[]): CapacityStep[] {
  const last = new Map<number, CapacityStep>();
  for (const s of steps) last.set(s.rate, s);
  return [...last.values()].sort((a, b) => a.rate - b.rate);
}

/** The chart data: x = rate; p95 per op, the p95 budget; pool wait client p95 and PgBouncer max. */
export function capacityChartData(r: CapacityReport) {
  const steps = byRate(r.steps);
  const ops = [...new Set(steps.flatMap((s) => s.ops.map((o) => o.op)))];
  const budget = r.budgets.find((b) => b.metric === "latency" && /^p\(95\)</.test(b.expression));
  const budgetMs = budget ? Number(budget.expression.replace(/^p\(95\)<=?/, "")) : null;
  return {
    rates: steps.map((s) => s.rate),
    latency: {
      labels: [...ops.map((o) => `${o} p95 ms`), ...(budgetMs !== null ? [`budget p95 < ${budgetMs} ms`] : [])],
      series: [
        ...ops.map((op) => steps.map((s) => s.ops.find((o) => o.op === op)?.p95Ms ?? null)),
        ...(budgetMs !== null ? [steps.map(() => budgetMs)] : []),
      ],
    },
    poolWait: {
      labels: ["client pool wait p95 ms", "PgBouncer wait max ms"],
      series: [steps.map((s) => s.poolWait.clientP95Ms), steps.map((s) => s.poolWait.serverMaxMs)],
    },
    passed: steps.map((s) => s.passed),
  };
}

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];

const SCRIPT = `
const data = JSON.parse(document.getElementById("capacity-data").textContent);
const colors = ${JSON.stringify(COLORS)};
function chart(el, title, group) {
  const series = [{ label: "rate /s" }, ...group.labels.map((label, i) => ({
    label, stroke: label.startsWith("budget") ? "#f59e0b" : colors[i % colors.length],
    dash: label.startsWith("budget") ? [6, 4] : undefined, width: 2, points: { show: true },
  }))];
  new uPlot({ title, width: Math.min(1060, window.innerWidth - 40), height: 300, series,
    scales: { x: { time: false } }, axes: [{ label: "iterations/s" }, { label: "ms" }] },
    [data.rates, ...group.series], document.getElementById(el));
}
chart("latency-chart", "p95 latency against rate", data.latency);
chart("pool-chart", "pool wait against rate", data.poolWait);
`;

export function renderCapacityHtml(r: CapacityReport): string {
  const { js, css } = uplotAssets();
  const rows = r.steps.map((s) => {
    const cells = [
      `${s.rate}${s.repeat ? " (again)" : ""}`,
      s.achievedRate,
      s.verdict,
      s.ops.map((o) => `${o.op} ${o.p95Ms}`).join(", "),
      s.poolWait.clientP95Ms,
      s.poolWait.serverMaxMs ?? "–",
      s.poolWait.clWaitingMax ?? "–",
      `${(s.errorRate * 100).toFixed(2)}%`,
      s.pgbouncerUtilisation ? `${Math.round(s.pgbouncerUtilisation.max * 100)}%` : "–",
      s.hostCpu.busyPct === null ? "–" : `${Math.round(s.hostCpu.busyPct)}%`,
    ];
    return `<tr class="${s.passed ? "" : "bad"}">${cells.map((c) => `<td>${h(String(c))}</td>`).join("")}</tr>`;
  });
  const head = [
    "rate/s",
    "achieved",
    "verdict",
    "p95 ms per op",
    "pool wait p95",
    "PgB wait max",
    "queued",
    "errors",
    "PgB util",
    "CPU",
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>rehearse capacity: ${h(r.scenario)}</title>
<style>${css}
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#0f172a;padding:0 16px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:4px 8px;border-bottom:1px solid #e2e8f0;text-align:right}
th:first-child,td:first-child{text-align:left}.bad{background:#fee2e2;color:#991b1b}pre{white-space:pre-wrap}</style></head>
<body><h1>rehearse capacity: ${h(r.scenario)}</h1>
<pre id="headline">${h(capacityHeadline(r).join("\n"))}</pre>
<div id="latency-chart"></div><div id="pool-chart"></div>
<h2>Steps</h2><table><thead><tr>${head.map((c) => `<th>${h(c)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>
<p>Budgets: ${r.budgets.map((b) => `<code>${h(b.metric)}: ${h(b.expression)}</code>`).join(", ")}</p>
<script id="capacity-data" type="application/json">${jsonForScript(capacityChartData(r))}</script>
<script>${js}</script><script>${SCRIPT}</script></body></html>
`;
}
