/** A comparison in words and tables: the console, Markdown and HTML show the same rows and verdicts. */
import type { Comparison, ComparisonRow } from "../compare.ts";

const ORDER: ComparisonRow["verdict"][] = ["regression", "disturbed", "improvement", "not judged", "within noise"];

const num = (n: number) => String(Math.round(n * 1000) / 1000);

/** "5.2 [4.9–5.6]", or the value alone when it had no interval. */
export function withInterval(value: number, interval: [number, number] | null): string {
  return interval ? `${num(value)} [${num(interval[0])}–${num(interval[1])}]` : num(value);
}

export function comparisonHeadline(c: Comparison): string {
  return `${c.baseScenario}: ${c.summary} (${c.baseRuns} base run(s), ${c.newRuns} new; tolerance ${c.options.tolerancePct}%, floor ${c.options.floorMs} ms)`;
}

/** Noise in words: how many runs it was measured on and the widest spread per op. */
export function noiseLine(c: Comparison): string {
  if (!c.noise)
    return "noise: unknown (one run a side, and its report has no halves; keep several accepted runs, or run --repeat, to measure it): judged by the intervals alone";
  const ops = c.noise.perOp.map(
    (o) => `${o.op} ${o.metric} ±${num(o.spread)} ms${o.spreadPct === null ? "" : ` (${o.spreadPct}%)`}`,
  );
  const severalRuns = c.noise.baseRuns >= 2 || c.noise.newRuns >= 2;
  const where = !c.noise.withinRuns
    ? ""
    : severalRuns
      ? " (between runs and between each run's halves)"
      : " (between each run's halves)";
  const leftOut = c.noise.leftOut ? ", a disturbed run's phases left out" : "";
  return `noise: measured over ${c.noise.baseRuns} base and ${c.noise.newRuns} new run(s)${where}${leftOut}: ${ops.length > 0 ? ops.join(", ") : "none measurable"}`;
}

export interface ComparisonCells {
  phase: string;
  op: string;
  metric: string;
  base: string;
  next: string;
  delta: string;
  verdict: string;
}

/** Rows by verdict (regressions first), each as display cells. */
export function comparisonCells(c: Comparison): ComparisonCells[] {
  return [...c.rows]
    .sort((a, b) => ORDER.indexOf(a.verdict) - ORDER.indexOf(b.verdict))
    .map((r) => ({
      phase: r.phase,
      op: r.op,
      metric: `${r.metric} (${r.unit})`,
      base: withInterval(r.baseMs, r.baseInterval),
      next: withInterval(r.newMs, r.newInterval),
      delta: `${r.deltaMs >= 0 ? "+" : ""}${num(r.deltaMs)}${r.deltaPct === null ? "" : ` (${r.deltaPct >= 0 ? "+" : ""}${r.deltaPct}%)`}`,
      verdict: r.note ? `${r.verdict}: ${r.note}` : r.verdict,
    }));
}

/** The console table. */
export function renderComparisonText(c: Comparison): string {
  const lines = [`rehearse compare: ${comparisonHeadline(c)}`, `  ${noiseLine(c)}`];
  const cells = comparisonCells(c);
  const head: ComparisonCells = {
    phase: "phase",
    op: "op",
    metric: "metric",
    base: "base [95% interval]",
    next: "new [95% interval]",
    delta: "Δ",
    verdict: "verdict",
  };
  const cols = Object.keys(head) as (keyof ComparisonCells)[];
  const width = Object.fromEntries(cols.map((k) => [k, Math.max(...[head, ...cells].map((row) => row[k].length))]));
  for (const row of [head, ...cells])
    lines.push(`  ${cols.map((k, i) => (i === cols.length - 1 ? row[k] : row[k].padEnd(width[k] ?? 0))).join("  ")}`);
  for (const d of c.disturbed) lines.push(`  disturbed: ${d}`);
  for (const u of c.unmatched) lines.push(`  note: ${u}`);
  return lines.join("\n");
}
