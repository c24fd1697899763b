/**
 * Findings: what the run showed, in plain words with the evidence, ranked by
 * what users feel. Errors and latency on user-facing ops come first, then
 * pool wait, then server-side signals. An op is user-facing unless its name
 * says it is background work (job, worker, cron, queue, batch).
 */

import { hostCpuByPhase, NOISY_STEAL_PCT } from "../host-cpu.ts";
import type { Delta } from "../schema.ts";
import { measuredPhases, type RunReport } from "../schema.ts";
import { fmtMs } from "./format.ts";

export interface Finding {
  /** Higher is worse; used for ordering only. */
  score: number;
  phase: string;
  op: string;
  text: string;
}

const BACKGROUND = /job|worker|cron|queue|batch/i;
/** A p95 change below both of these is noise, not a finding. */
const MIN_DELTA_MS = 5;
const MIN_DELTA_RATIO = 0.2;
/** An action that began before a phase and ended within this long of its start belongs to the phase before. */
const OVERLAP_MS = 500;

const pct = (ratio: number) => `${Math.round(ratio * 1000) / 10}%`;

/** "while the backup ran" for actions overlapping the phase; else "in the <phase> phase". */
function when(report: RunReport, phase: string): string {
  const span = report.phases.find((p) => p.name === phase);
  const names = span
    ? [
        ...new Set(
          report.actions
            .filter((a) =>
              a.startMs >= span.startMs
                ? a.startMs < span.endMs // began in the phase (an instant flush included)
                : a.endMs >= span.startMs + OVERLAP_MS,
            )
            .map((a) => a.name),
        ),
      ]
    : [];
  return names.length > 0 ? `in ${phase} (while ${names.join(", ")} ran)` : `in ${phase}`;
}

function recovery(d: Delta, lastPhase: string | undefined): string {
  if (d.phase === lastPhase) return "";
  return d.recoveryMs === null
    ? "; not recovered by the end of the run"
    : `; back to baseline ${fmtMs(d.recoveryMs)} after`;
}

function significant(delta: number, base: number): boolean {
  return delta > MIN_DELTA_MS && delta > base * MIN_DELTA_RATIO;
}

export function findings(report: RunReport): Finding[] {
  const out: Finding[] = [];
  const lastPhase = report.phases.at(-1)?.name;
  const poolSize = (report.settings.pgbouncer as { defaultPoolSize?: number } | undefined)?.defaultPoolSize;
  for (const d of report.deltas) {
    const userFacing = !BACKGROUND.test(d.op);
    const weight = userFacing ? 10 : 1;
    const parts: string[] = [];
    let score = 0;
    if (d.deltaErrorRate > 0.001) {
      parts.push(`${d.op} failed ${pct(d.errorRate)} of requests (baseline ${pct(d.errorRate - d.deltaErrorRate)})`);
      score += weight * 1000 * d.deltaErrorRate * 100;
    }
    if (significant(d.deltaP95Ms, d.baselineP95Ms)) {
      parts.push(`${d.op} p95 rose from ${fmtMs(d.baselineP95Ms)} to ${fmtMs(d.p95Ms)}`);
      score += weight * (d.deltaP95Ms / Math.max(1, d.baselineP95Ms));
    }
    if (significant(d.deltaPoolWaitP95Ms, d.baselinePoolWaitP95Ms)) {
      parts.push(
        `waiting ${fmtMs(d.poolWaitP95Ms)} for a connection (pool-wait p95, baseline ${fmtMs(d.baselinePoolWaitP95Ms)})`,
      );
      score += (weight / 2) * (d.deltaPoolWaitP95Ms / Math.max(1, d.baselinePoolWaitP95Ms + 1));
    }
    if (d.deltaCacheHitRatio !== null && d.cacheHitRatio !== null && d.deltaCacheHitRatio < -0.05) {
      parts.push(`cache hit ratio fell from ${pct(d.cacheHitRatio - d.deltaCacheHitRatio)} to ${pct(d.cacheHitRatio)}`);
      score += -d.deltaCacheHitRatio;
    }
    if (parts.length === 0) continue;
    if (d.peakClWaiting > 0) {
      const pool = poolSize ? `; PgBouncer's pool of ${poolSize} was exhausted` : "";
      parts.push(`PgBouncer clients waited up to ${fmtMs(d.peakMaxWaitMs)} (${d.peakClWaiting} queued at peak)${pool}`);
    }
    out.push({
      score,
      phase: d.phase,
      op: d.op,
      text: [`${parts[0]} ${when(report, d.phase)}`, ...parts.slice(1)].join("; ") + recovery(d, lastPhase),
    });
  }
  for (const a of report.actions) {
    const r = a.result;
    if (r.error) out.push({ score: 50, phase: "", op: "", text: `action ${a.name} failed: ${r.error}` });
    if (a.name === "backup" && r.exitCode === 0) {
      const restore =
        r.timeToUsableMs !== undefined ? `; the restore drill answered after ${fmtMs(Number(r.timeToUsableMs))}` : "";
      out.push({
        score: 0.01,
        phase: "",
        op: "",
        text: `the backup took ${fmtMs(Number(r.durationMs))} for ${(Number(r.bytes) / 1e6).toFixed(1)} MB${restore}${r.rowCountsOk === false ? "; row counts did NOT match" : ""}`,
      });
    }
    if (r.lockTimedOut === true) {
      out.push({
        score: 5,
        phase: "",
        op: "",
        text: `the ${a.name}'s migration gave up on its lock: ${r.migrationError}`,
      });
    }
  }
  const measured = measuredPhases(report);
  for (const h of hostCpuByPhase(report)) {
    if (h.stealPctMax < NOISY_STEAL_PCT || !measured.has(h.phase)) continue;
    out.push({
      score: 0.02,
      phase: h.phase,
      op: "",
      text: `the host lost up to ${h.stealPctMax}% of its CPU to other machines (steal) in ${h.phase} (mean ${h.stealPctMean}%): latency changes of a few ms there may be noise, not the fault`,
    });
  }
  return out.sort((a, b) => b.score - a.score);
}
