/**
 * The report's tables as one list of columns each, so the HTML and the Markdown
 * show the same thing: what users felt per op and phase (deltas), what the
 * servers saw per phase (the server's signals, once per phase, not per op), and
 * the actions. A cell is text plus how bad it is (the HTML colours it).
 */
import type { ActionRecord, Delta, PhaseSignals, RunReport } from "../schema.ts";
import { actionFailure } from "../schema.ts";
import { fmtMs, fmtPct, signed } from "./format.ts";

export type Badness = "bad" | "warn" | "good" | "";

export interface Cell {
  text: string;
  badness?: Badness;
}

export interface Column<T> {
  title: string;
  cell: (row: T) => Cell;
}

/** How bad a p95 / pool-wait change is: > +100% (and > 50 ms) bad, > +20% (and > 5 ms) warn, < -20% good. */
export function severity(delta: number, base: number): Badness {
  if (delta > 50 && delta > base) return "bad";
  if (delta > 5 && delta > base * 0.2) return "warn";
  if (delta < -5 && -delta > base * 0.2) return "good";
  return "";
}

const text = (t: string | number, badness: Badness = ""): Cell => ({ text: String(t), badness });
const pts = (ratio: number | null | undefined) =>
  ratio === null || ratio === undefined ? "" : `${signed(ratio * 100)} pts`;
const ratioCell = (now: number | null | undefined, delta: number | null | undefined): Cell => {
  if (now === null || now === undefined) return text("");
  const was = delta === null || delta === undefined || delta === 0 ? null : now - delta;
  return text(
    was === null ? fmtPct(now) : `${fmtPct(was)} → ${fmtPct(now)}`,
    delta !== null && delta !== undefined && delta < -0.05 ? "warn" : "",
  );
};

/** The recovery of the fault that began in the phase: "3 s", "not recovered", "unaffected", or nothing. */
export function recoveryCell(d: Delta): Cell {
  if (d.recovery === "recovered" && d.recoveryMs !== null) return text(fmtMs(d.recoveryMs));
  if (d.recovery === "not-recovered") return text("not recovered", "bad");
  if (d.recovery === "unaffected") return text("unaffected");
  return text("");
}

export const DELTA_COLUMNS: Column<Delta>[] = [
  { title: "phase", cell: (d) => text(d.phase) },
  { title: "op", cell: (d) => text(d.op) },
  { title: "p95 ms", cell: (d) => text(`${d.baselineP95Ms} → ${d.p95Ms}`) },
  { title: "Δp95", cell: (d) => text(signed(d.deltaP95Ms), severity(d.deltaP95Ms, d.baselineP95Ms)) },
  { title: "Δp99", cell: (d) => text(signed(d.deltaP99Ms), severity(d.deltaP99Ms, d.baselineP99Ms)) },
  { title: "pool wait p95 ms", cell: (d) => text(`${d.baselinePoolWaitP95Ms} → ${d.poolWaitP95Ms}`) },
  {
    title: "Δpool wait",
    cell: (d) => text(signed(d.deltaPoolWaitP95Ms), severity(d.deltaPoolWaitP95Ms, d.baselinePoolWaitP95Ms)),
  },
  {
    title: "errors",
    cell: (d) => text(fmtPct(d.errorRate), d.deltaErrorRate > 0.01 ? "bad" : d.deltaErrorRate > 0.001 ? "warn" : ""),
  },
  // The op's own cache lookups (rehearse's cache client); empty for an op that makes none.
  {
    title: "Δ cache hit ratio",
    cell: (d) => text(pts(d.deltaCacheHitRatio), (d.deltaCacheHitRatio ?? 0) < -0.05 ? "warn" : ""),
  },
  { title: "recovery", cell: recoveryCell },
];

export const PHASE_SIGNAL_COLUMNS: Column<PhaseSignals>[] = [
  { title: "phase", cell: (p) => text(p.phase) },
  {
    title: "PgBouncer wait ms/xact",
    cell: (p) =>
      text(
        p.serverPoolWaitMs === null
          ? ""
          : `${p.serverPoolWaitMs}${p.deltaServerPoolWaitMs === null ? "" : ` (${signed(p.deltaServerPoolWaitMs)})`}`,
        severity(p.deltaServerPoolWaitMs ?? 0, (p.serverPoolWaitMs ?? 0) - (p.deltaServerPoolWaitMs ?? 0)),
      ),
  },
  { title: "peak cl_waiting", cell: (p) => text(p.peakClWaiting, p.peakClWaiting > 0 ? "warn" : "") },
  { title: "peak maxwait", cell: (p) => text(fmtMs(p.peakMaxWaitMs)) },
  { title: "peak sv_active", cell: (p) => text(p.peakSvActive) },
  { title: "Redis hit ratio", cell: (p) => ratioCell(p.redisHitRatio, p.deltaRedisHitRatio) },
  { title: "evicted", cell: (p) => text(p.evictedKeys ?? "") },
  { title: "buffer hit ratio", cell: (p) => ratioCell(p.bufferHitRatio, p.deltaBufferHitRatio) },
  { title: "lock waiters", cell: (p) => text(p.peakLockWaiters, p.peakLockWaiters > 0 ? "warn" : "") },
];

const at = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** An action's result in a few words, every kind its own. */
export function actionSummary(a: ActionRecord): string {
  const failure = actionFailure(a);
  if (failure !== undefined) return `failed: ${failure}`;
  const r = a.result as Record<string, unknown>;
  const shown = Object.entries(r)
    .filter(([k, v]) => v !== null && v !== undefined && typeof v !== "object" && k !== "reverted")
    .map(([k, v]) => `${k} ${v}`);
  return shown.join(", ").slice(0, 240);
}

export interface ActionRow {
  action: ActionRecord;
  recoveries: NonNullable<RunReport["recoveries"]>;
  refills: NonNullable<RunReport["refills"]>;
}

/** What the fault did to users: the ops that left their band and how long they took to come back. */
function effect(row: ActionRow): string {
  const moved = row.recoveries.filter((r) => r.state !== "unaffected");
  const refill = row.refills.find((r) => r.state !== "unaffected");
  const parts = moved.map((r) =>
    r.state === "recovered" ? `${r.op} back in ${fmtMs(r.recoveryMs ?? 0)}` : `${r.op} not recovered`,
  );
  if (refill)
    parts.push(refill.state === "refilled" ? `refilled in ${fmtMs(refill.refillMs ?? 0)}` : "cache not refilled");
  return parts.length > 0 ? parts.join(", ") : "no measurable effect";
}

export const ACTION_COLUMNS: Column<ActionRow>[] = [
  { title: "action", cell: (r) => text(r.action.name) },
  { title: "at", cell: (r) => text(at(r.action.startMs)) },
  { title: "lasted", cell: (r) => text(fmtMs(r.action.endMs - r.action.startMs)) },
  {
    title: "result",
    cell: (r) =>
      text(actionSummary(r.action), actionFailure(r.action) !== undefined && !r.action.optional ? "bad" : ""),
  },
  { title: "effect", cell: (r) => text(effect(r)) },
];

export function actionRows(report: RunReport): ActionRow[] {
  return report.actions.map((action, i) => ({
    action,
    recoveries: (report.recoveries ?? []).filter((r) => r.actionIndex === i),
    refills: (report.refills ?? []).filter((r) => r.actionIndex === i),
  }));
}
