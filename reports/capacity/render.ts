/** capacity.json in words: the console table, Markdown and JUnit (the CI gate at --target-rate). */
import { escapeMdCell as md, escapeXml as x } from "../render/escape.ts";
import { type Case, suite } from "../render/junit.ts";
import type { CapacityReport, CapacityStep } from "./schema.ts";

const STATUS_WORDS: Record<CapacityReport["status"], string> = {
  found: "capacity found",
  "generator-bound": "GENERATOR-BOUND (the generator, not the system, was the limit)",
  "host-bound": "HOST-BOUND (every core of this machine was busy: the test set-up, not the system, was the limit)",
  "not-found": "no capacity found",
  aborted: "ABORTED",
};

/** The headline: the capacity, the first failing rate, what broke first. */
export function capacityHeadline(r: CapacityReport): string[] {
  const lines = [
    `rehearse capacity: ${r.scenario} on ${r.provider}: ${STATUS_WORDS[r.status]} (${r.durationS} s, ${r.steps.length} steps)`,
  ];
  if (r.capacityRate !== null) lines.push(`  capacity: ${r.capacityRate}/s met every budget`);
  if (r.firstFailingRate !== null) lines.push(`  first failing rate: ${r.firstFailingRate}/s`);
  if (r.brokeFirst) lines.push(`  broke first: ${r.brokeFirst.evidence}`);
  if (r.targetRate !== null) lines.push(`  target ${r.targetRate}/s: ${r.targetMet ? "held" : "NOT held"}`);
  if (r.utilisationPassedAt !== null)
    lines.push(
      `  note: PgBouncer's pool of ${r.settings.pgbouncerPoolSize} passed ${r.settings.utilisationNote * 100}% utilisation from ${r.utilisationPassedAt}/s`,
    );
  lines.push(`  ${r.reason}`);
  return lines;
}

const pct = (n: number | null | undefined) => (n === null || n === undefined ? "–" : `${Math.round(n * 100)}%`);
const ms = (n: number | null | undefined) => (n === null || n === undefined ? "–" : String(n));

function stepCells(s: CapacityStep, op: string): string[] {
  const o = s.ops.find((x) => x.op === op);
  return [
    `${s.rate}${s.repeat ? " (again)" : ""}`,
    String(s.achievedRate),
    s.verdict,
    o ? `${o.p50Ms} / ${o.p95Ms} / ${o.p99Ms}` : "–",
    String(s.poolWait.clientP95Ms),
    ms(s.poolWait.serverMaxMs),
    ms(s.poolWait.clWaitingMax),
    `${(s.errorRate * 100).toFixed(2)}%`,
    pct(s.pgbouncerUtilisation?.max),
    pct(s.cacheHitRatio),
    s.hostCpu.busyPct === null ? "–" : `${Math.round(s.hostCpu.busyPct)}%`,
  ];
}

const HEAD = [
  "rate/s",
  "achieved",
  "verdict",
  "p50/p95/p99 ms",
  "pool wait p95",
  "PgB wait max",
  "queued",
  "errors",
  "PgB util",
  "hit ratio",
  "CPU",
];

/** The op the table shows: the one that broke first, else the busiest. */
function shownOp(r: CapacityReport): string {
  if (r.brokeFirst?.op) return r.brokeFirst.op;
  const share = [...r.mix].sort((a, b) => b.share - a.share)[0];
  return share?.op ?? "";
}

export function renderCapacityConsole(r: CapacityReport): string {
  const op = shownOp(r);
  const rows = [HEAD, ...r.steps.map((s) => stepCells(s, op))];
  const widths = HEAD.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  const table = rows.map((row) => `  ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd());
  return [
    ...capacityHeadline(r),
    `  steps (latency of ${op}; pool wait, errors and utilisation of the step):`,
    ...table,
  ].join("\n");
}

export function renderCapacityMarkdown(r: CapacityReport): string {
  const op = shownOp(r);
  const lines = [
    `# rehearse capacity: ${md(r.scenario)}`,
    "",
    `**${STATUS_WORDS[r.status]}** on ${r.provider}, ${r.startedAt}, ${r.durationS} s.`,
    "",
    ...capacityHeadline(r)
      .slice(1)
      .map((l) => `- ${md(l.trim())}`),
    "",
    `Budgets (on each step's steady window, after ${r.settings.warmupS} s of warm-up in ${r.settings.stepDurationS} s steps): ${r.budgets.map((b) => `\`${b.metric}: ${b.expression}\`${b.source === "default" ? " (default)" : ""}`).join(", ")}. Mix: ${r.mix.map((m) => `${md(m.op)} ${Math.round(m.share * 100)}%`).join(", ")}${r.background.length > 0 ? `; beside it, unscaled: ${r.background.map((b) => `${md(b.op)} (${b.vus} VUs)`).join(", ")}` : ""}.`,
    "",
    `## Steps (latency of ${md(op)})`,
    "",
    `| ${HEAD.join(" | ")} |`,
    `| ${HEAD.map(() => "---").join(" | ")} |`,
    ...r.steps.map((s) => `| ${stepCells(s, op).map(md).join(" | ")} |`),
  ];
  return `${lines.join("\n")}\n`;
}

/** A capacity was found (or every budget held up to --max): the system's, not the generator's or the host's. */
export function capacityHeld(r: CapacityReport): boolean {
  return r.capacityRate !== null && (r.status === "found" || r.status === "not-found");
}

/** A case per budget at the target rate (the gate "we still hold N/s"), and one for the search itself. */
export function renderCapacityJunit(r: CapacityReport): string {
  const cases: Case[] = [];
  const classname = `rehearse.capacity.${r.scenario}`;
  if (r.targetRate !== null) {
    const target = r.targetRate;
    // The step at the target rate; else (the search started elsewhere) the lowest passing step above it.
    const atTarget =
      r.steps.filter((s) => s.rate === target).at(-1) ??
      r.steps.filter((s) => s.passed && s.rate > target).sort((x, y) => x.rate - y.rate)[0];
    if (!atTarget) cases.push({ classname, name: `target ${target}/s`, failure: "no step ran at the target rate" });
    for (const b of atTarget?.budgets ?? []) {
      const name = `${b.metric} ${b.expression} at ${atTarget?.rate}/s`;
      cases.push(b.ok ? { classname, name } : { classname, name, failure: `actual ${b.actual}` });
    }
  }
  // With a target rate the target is the gate (its budgets' cases above); the search's own case then says how
  // it ended without failing the suite, so JUnit and the exit code agree.
  if (capacityHeld(r) || (r.targetRate !== null && r.targetMet)) {
    cases.push({ classname, name: capacityHeld(r) ? `capacity ${r.capacityRate}/s` : `capacity search: ${r.status}` });
  } else cases.push({ classname, name: "capacity", failure: `${r.status}: ${r.reason}` });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${x("rehearse capacity")}">\n${suite(r.scenario, cases, r.durationS)}\n</testsuites>\n`;
}
