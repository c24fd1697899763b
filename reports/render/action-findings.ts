/**
 * One finding per action: what the fault did, with the cause rehearse measured
 * (a migration's lock and the backends waiting on it, a deploy's stretch with
 * no ready instance and its failed requests, a flush's hit-ratio drop) and its
 * effect on what users felt (which ops left their baseline band, how far, for
 * how long) — or, when nothing moved, that it had no measurable effect.
 */
import type { ActionRecord, ActionResults, RecoveryRecord, RefillRecord, RunReport } from "../schema.ts";
import { actionFailure, isBackgroundOp } from "../schema.ts";
import { rank, TIER } from "./finding-rank.ts";
import { fmtMs, fmtPct } from "./format.ts";

export interface ActionFinding {
  score: number;
  text: string;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pct = (r: number) => `${Math.round(r * 100)}%`;

/** The window the action's effect is read in: from its start until a later action begins, or the run ends. */
function windowOf(report: RunReport, a: ActionRecord): { fromMs: number; toMs: number } {
  const runEnd = Math.max(0, ...report.phases.map((p) => p.endMs));
  const later = report.actions.filter((b) => b.startMs > a.endMs).map((b) => b.startMs);
  return { fromMs: a.startMs, toMs: Math.min(runEnd, ...later) };
}

/** Failed iterations per op in [fromMs, toMs), from the per-second series. */
function failuresIn(report: RunReport, fromMs: number, toMs: number): { op: string; failed: number }[] {
  const { originMs, intervalMs, ops } = report.perSecond;
  return Object.entries(ops)
    .map(([op, series]) => ({
      op,
      failed: series.errors.reduce((n, e, i) => {
        const at = originMs + i * intervalMs;
        return at + intervalMs > fromMs && at < toMs ? n + e : n;
      }, 0),
    }))
    .filter((f) => f.failed > 0)
    .sort((x, y) => y.failed - x.failed);
}

/** The most backends that waited on a lock in Postgres, at one sampler second, within the window. */
function lockWaiters(report: RunReport, fromMs: number, toMs: number): number {
  return Math.max(
    0,
    ...report.timeline
      .filter((t) => t.tMs >= fromMs && t.tMs <= toMs + 1_000)
      .map((t) => t.postgres?.waiting.Lock ?? 0),
  );
}

function effectOf(recoveries: RecoveryRecord[]): { text: string; affected: RecoveryRecord[] } {
  const affected = recoveries.filter((r) => r.state !== "unaffected");
  if (affected.length === 0) return { text: "", affected };
  const parts = affected
    .sort(
      (x, y) =>
        (y.peakP95Ms ?? 0) / Math.max(1, y.band.upperP95Ms) - (x.peakP95Ms ?? 0) / Math.max(1, x.band.upperP95Ms),
    )
    .map((r) => {
      const back =
        r.state === "recovered"
          ? `back within it ${fmtMs(r.recoveryMs ?? 0)} after`
          : "not back within it by the end of the run";
      return `${r.op} p95 peaked at ${fmtMs(r.peakP95Ms ?? 0)} (baseline p95 ${fmtMs(r.band.baselineP95Ms)}; a second of its usual ${r.band.perSecond} requests is in band up to ${fmtMs(r.band.upperP95Ms)}), ${back}`;
    });
  return { text: parts.join("; "), affected };
}

function refillText(refill: RefillRecord | undefined): string {
  if (!refill) return "";
  const who = refill.source === "redis" ? "Redis' hit ratio" : `${refill.source}'s cache hit ratio`;
  const band = pct(refill.band.baselineRatio);
  if (refill.state === "unaffected") return `${who} stayed within its baseline band (${band})`;
  const fell = `${who} fell from ${band} to ${pct(refill.lowestRatio ?? 0)}`;
  return refill.state === "refilled"
    ? `${fell} and was back within its band ${fmtMs(refill.refillMs ?? 0)} later`
    : `${fell} and was not back within its band by the end of the run`;
}

/** What the action itself did, in words (the cause half of the finding). */

const kB = (bytes: unknown) => `${Math.round(Number(bytes) / 1024)} kB`;

/** "1302 kB, room for 50% of its keys' 427 kB" for a share (the keys' bytes measured then), else the size given. */
function squeezedTo(r: Partial<ActionResults["maxmemory"]>): string {
  if (r.bytes === undefined) return r.value ?? "?";
  if (r.keyBytes === undefined) return `${r.value ?? "?"} of what it used (${kB(r.bytes)})`;
  return `${kB(r.bytes)}, room for ${r.value ?? "?"} of its keys' ${kB(r.keyBytes)}`;
}

function causeOf(a: ActionRecord): string {
  const at = `${a.name} at ${s(a.startMs)}`;
  switch (a.name) {
    case "flush-cache": {
      const r = a.result;
      return `${at} emptied ${r.keysRemoved ?? "?"} keys${r.scope === "all" ? " (all of Redis)" : r.prefix ? ` (prefix ${r.prefix})` : ""}`;
    }
    case "maxmemory":
      return `${at} squeezed Redis to ${squeezedTo(a.result)} (${a.result.policy ?? "?"}) for ${s(a.endMs - a.startMs)}${a.result.evictedKeys !== undefined ? `: ${a.result.evictedKeys} keys evicted` : ""}`;
    case "restart":
      return `${at}: ${a.result.service ?? "the service"} was down ${fmtMs(a.result.downMs ?? 0)}`;
    case "kill":
      return `${at}: ${a.result.service ?? "the service"} killed${a.result.downMs !== undefined ? `, down ${fmtMs(a.result.downMs)}` : ""}`;
    case "freeze":
      return `${at}: ${a.result.service ?? "the service"} frozen for ${s(a.endMs - a.startMs)}`;
    case "backup": {
      const r = a.result;
      const restore =
        r.timeToUsableMs !== undefined ? `; the restore drill answered after ${fmtMs(r.timeToUsableMs)}` : "";
      const counts = r.rowCountsOk === false ? "; row counts did NOT match" : "";
      return `${at}: the dump took ${fmtMs(r.durationMs ?? 0)} for ${((r.bytes ?? 0) / 1e6).toFixed(1)} MB${restore}${counts}`;
    }
    case "redis-client-pause":
      return `${at}: Redis held ${a.result.mode === "write" ? "writes" : "every command"} for ${fmtMs(a.result.pausedMs ?? 0)}`;
    case "pgbouncer-pause":
      return `${at}: PgBouncer paused for ${s(a.endMs - a.startMs)}`;
    case "pgbouncer-reconnect":
      return `${at}: PgBouncer reopened its ${a.result.serverConnectionsBefore ?? "?"} server connections`;
    case "pgbouncer-reload": {
      const changed = Object.entries(a.result.settings ?? {}).map(([k, v]) => `${k} ${v.before} → ${v.after}`);
      return `${at}: PgBouncer reloaded with ${changed.join(", ") || "its settings"}`;
    }
    case "deploy-burst": {
      const r = a.result;
      return `${at}: ${r.workers ?? "?"} workers opened ${r.connections ?? "?"} connections, warm after ${fmtMs(r.warmedMaxMs ?? r.connectedMaxMs ?? 0)} (${r.warmIterations ?? 0} warm-up iterations, ${r.warmErrors ?? 0} failed)`;
    }
    case "app-scale":
      return `${at}: ${a.result.added ?? "?"} more app instances, ready after ${fmtMs(a.result.readyMaxMs ?? 0)}`;
    case "app-restart":
      return deployCause(a as Extract<ActionRecord, { name: "app-restart" }>, at);
    case "migration":
      return `${at}`;
  }
}

function deployCause(a: Extract<ActionRecord, { name: "app-restart" }>, at: string): string {
  const r = a.result;
  const how =
    r.mode === "rolling"
      ? `rolling (maxSurge ${r.maxSurge ?? "?"}, maxUnavailable ${r.maxUnavailable ?? "?"})`
      : "all at once";
  const parts = [`${at}: a deploy of ${r.instances ?? "?"} instances, ${how}, took ${fmtMs(r.restartMs ?? 0)}`];
  if ((r.unavailableMs ?? 0) > 0) {
    const when =
      r.unavailableFromMs !== undefined && r.unavailableToMs !== undefined
        ? ` (${s(r.unavailableFromMs)}–${s(r.unavailableToMs)})`
        : "";
    parts.push(`no ready instance for ${fmtMs(r.unavailableMs ?? 0)}${when}`);
  } else parts.push("a ready instance served throughout");
  if (r.failedRequests !== undefined)
    parts.push(
      `${r.failedRequests} requests failed meanwhile${r.failedOnStopping ? `, ${r.failedOnStopping} of them on instances being stopped` : ""}`,
    );
  const stops = r.stops ?? [];
  const killed = stops.filter((x) => x.outcome === "killed");
  const graceful = stops.filter((x) => x.outcome === "graceful");
  if (graceful.length > 0) {
    const times = graceful.map((x) => x.exitedAfterMs ?? 0);
    parts.push(
      `${graceful.length} stopped gracefully ${fmtMs(Math.min(...times))}–${fmtMs(Math.max(...times))} after ${graceful[0]?.signal}${graceful.some((x) => x.drainMs > 0) ? ` (drained ${fmtMs(Math.max(...graceful.map((x) => x.drainMs)))} first)` : ""}`,
    );
  }
  for (const k of killed) parts.push(`instance ${k.instance} did not exit and was SIGKILLed after its stopTimeout`);
  return parts.join("; ");
}

/** A migration's lock (an action of its own, or inside a deploy): how long it held it, who waited on it. */
function lockOf(report: RunReport, a: ActionRecord): string {
  if (a.name !== "migration" && a.name !== "app-restart" && a.name !== "deploy-burst") return "";
  const r = a.result;
  if (r.migrated === undefined) return "";
  if (!r.migrated) {
    return r.lockTimedOut
      ? `its migration gave up on its lock: ${r.migrationError}`
      : `its migration failed: ${r.migrationError}`;
  }
  // From its statement (taken within lockAcquiredMs) to the commit: at most this long.
  const held = (r.holdMs ?? 0) + (r.lockAcquiredMs ?? 0);
  const waiters = lockWaiters(report, a.startMs, a.startMs + (r.migrationMs ?? 0));
  return `its migration held its lock ${fmtMs(held)} (taken after ${fmtMs(r.lockAcquiredMs ?? 0)})${waiters > 0 ? ` while up to ${waiters} backends waited on Lock` : ", with no backend waiting on it"}`;
}

export function actionFindings(report: RunReport): ActionFinding[] {
  return report.actions.flatMap((a, index) => {
    if (actionFailure(a) !== undefined) return []; // said by the failure finding
    const recoveries = (report.recoveries ?? []).filter((r) => r.actionIndex === index);
    const refill =
      (report.refills ?? []).find((r) => r.actionIndex === index && r.source === "redis") ??
      (report.refills ?? []).find((r) => r.actionIndex === index);
    const { fromMs, toMs } = windowOf(report, a);
    const failures = failuresIn(report, fromMs, toMs).filter((f) => f.failed > 0);
    const effect = effectOf(recoveries);
    const parts = [causeOf(a), lockOf(report, a), refillText(refill)].filter((p) => p !== "");
    const failed = failures.reduce((n, f) => n + f.failed, 0);
    if (failed > 0 && a.name !== "app-restart")
      parts.push(`${failed} iterations failed meanwhile (${failures.map((f) => `${f.op} ${f.failed}`).join(", ")})`);
    if (effect.text) parts.push(effect.text);
    else if (refill && refill.state !== "unaffected")
      parts.push("p95 unchanged: every op stayed within its baseline band (the queries absorbed the misses)");
    else if (failed === 0)
      parts.push("no measurable effect: every op stayed within its baseline band (p95 and errors)");
    const userFacing = effect.affected.filter((r) => !isBackgroundOp(r.op));
    const severity = Math.max(0, ...userFacing.map((r) => (r.peakP95Ms ?? 0) / Math.max(1, r.band.upperP95Ms)));
    const score = failed > 0 || userFacing.length > 0 ? rank(TIER.cause, severity + failed) : rank(TIER.context, 1);
    return [{ score, text: parts.join("; ") }];
  });
}

/** PgBouncer's pool exhausted in a phase: every server connection busy while clients queued. */
export function saturationFindings(report: RunReport): ActionFinding[] {
  const poolSize = (report.settings.pgbouncer as { defaultPoolSize?: number } | undefined)?.defaultPoolSize;
  if (!poolSize) return [];
  return (report.phaseSignals ?? []).flatMap((p) => {
    if (p.peakSvActive < poolSize || p.peakClWaiting === 0) return [];
    const wait =
      p.serverPoolWaitMs !== null && p.deltaServerPoolWaitMs !== null && p.serverPoolWaitMs > 0
        ? `; server pool wait ${fmtMs(p.serverPoolWaitMs - p.deltaServerPoolWaitMs)} → ${fmtMs(p.serverPoolWaitMs)} per transaction`
        : "";
    return [
      {
        score: rank(TIER.latency, 1e3 + p.peakClWaiting),
        text: `PgBouncer's pool of ${poolSize} was exhausted in ${p.phase}: all ${poolSize} server connections busy, up to ${p.peakClWaiting} clients queued and waited up to ${fmtMs(p.peakMaxWaitMs)}${wait}`,
      },
    ];
  });
}

export { fmtPct };
