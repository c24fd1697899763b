/** Number and delta formatting the console summary and the renderers share, so they read the same. */
import type { AppInstanceReport, Delta } from "../schema.ts";

/** "+12.3" / "-4": one decimal, sign always shown. */
export const signed = (n: number): string => `${n >= 0 ? "+" : ""}${Number(n.toFixed(1))}`;

/** "0.4 ms", "37 ms", "1.8 s", "12 s". */
export function fmtMs(ms: number): string {
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(ms >= 10_000 ? 0 : 1))} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${Number(ms.toFixed(1))} ms`;
}

/** A delta row's recovery: the last phase has no "after", null is "not recovered". */
export function recoveryText(d: Delta, lastPhase: string | undefined): string {
  if (d.phase === lastPhase) return "end of run";
  return d.recoveryMs === null ? "not recovered" : fmtMs(d.recoveryMs);
}

/** Δ cache hit ratio in points, empty for an op without cache lookups. */
export function hitRatioDelta(d: Delta): string {
  return d.deltaCacheHitRatio === null ? "" : `${signed(d.deltaCacheHitRatio * 100)} pts`;
}

/** PgBouncer's server pool wait per transaction, baseline → phase, in ms; empty without PgBouncer totals. */
export function serverWaitCell(d: Delta): string {
  const base = d.baselineServerPoolWaitMs;
  const now = d.serverPoolWaitMs;
  return base === null || base === undefined || now === null || now === undefined ? "" : `${base} → ${now}`;
}

/** Redis' own hit ratio change (the app's cache), in points; empty without lookups. */
export function redisHitDelta(d: Delta): string {
  const delta = d.deltaServerCacheHitRatio;
  return delta === null || delta === undefined ? "" : `${signed(delta * 100)} pts`;
}

/** One app instance's life in words: "ready 0.3 s after start; stopped at 16.3 s (SIGTERM)", or its crash. */
export function appInstanceText(i: AppInstanceReport): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const ready = i.readyMs === null ? "never ready" : `ready at ${s(i.readyMs)}`;
  if (i.exitedMs === null) return `${ready}; ran to the end`;
  const how = i.signal ? i.signal : `exit ${i.exitCode}`;
  return i.crashed
    ? `${ready}; CRASHED at ${s(i.exitedMs)} (${how})`
    : `${ready}; stopped at ${s(i.exitedMs)} (${how})`;
}

/** What a threshold saw: "actual 12.5", "no completed iteration"; "default budget" when rehearse added it. */
export function thresholdEvidence(t: { actual: number; note?: string; source?: string }): string {
  const seen = t.note ?? `actual ${t.actual}`;
  return t.source === "default" ? `${seen}; default budget` : seen;
}

/** The actual-value cell of a threshold table: the number, or why there is none; "(default)" marks rehearse's budget. */
export function thresholdCell(t: { actual: number; note?: string; source?: string }): string {
  return `${t.note ?? t.actual}${t.source === "default" ? " (default)" : ""}`;
}
