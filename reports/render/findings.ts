/**
 * Findings: what the run showed, in plain words with the evidence, ranked by
 * what users feel. A baseline that was not steady comes first (every delta is
 * measured against it), then crashes, errors and latency on user-facing ops,
 * the cause rehearse measured for each fault (action-findings.ts), PgBouncer
 * saturation, then server-side signals. An op is user-facing unless its name
 * says it is background work (job, worker, cron, queue, batch).
 */

import { hostCpuByPhase, NOISY_STEAL_PCT } from "../host-cpu.ts";
import type { Delta } from "../schema.ts";
import {
  actionFailure,
  attemptsOf,
  failedOf,
  isBackgroundOp,
  measuredPhases,
  type OutageRecord,
  type RunReport,
} from "../schema.ts";
import { actionFindings, saturationFindings } from "./action-findings.ts";
import { baselineFindings } from "./baseline-findings.ts";
import { rank, TIER } from "./finding-rank.ts";
import { fmtMs, fmtPct } from "./format.ts";

export interface Finding {
  /** Higher is worse; used for ordering only. */
  score: number;
  phase: string;
  op: string;
  text: string;
}

/** A p95 change below both of these is noise, not a finding. */
const MIN_DELTA_MS = 5;
const MIN_DELTA_RATIO = 0.2;
/** An action that began before a phase and ended within this long of its start belongs to the phase before. */
const OVERLAP_MS = 500;

const pct = fmtPct;

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

/** The recovery of the fault that began in the delta's phase, when the op left its band. */
function recovery(d: Delta): string {
  if (d.recovery === "recovered" && d.recoveryMs !== null)
    return `; back within its baseline band ${fmtMs(d.recoveryMs)} after the fault`;
  if (d.recovery === "not-recovered") return "; not back within its baseline band by the end of the run";
  return "";
}

const SERVICE_LABEL: Record<string, string> = { postgres: "Postgres", pgbouncer: "PgBouncer", redis: "Redis" };
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** An action of the scenario's that took this service down on purpose (a freeze, kill, restart...). */
function causedByAction(report: RunReport, o: OutageRecord): boolean {
  const end = o.toMs ?? Number.POSITIVE_INFINITY;
  return report.actions.some(
    (a) =>
      (("service" in a.result && a.result.service === o.service) ||
        (o.service === "pgbouncer" && /^pgbouncer|deploy-burst/.test(a.name))) &&
      a.startMs - 1_000 <= end &&
      a.endMs + 2_000 >= o.fromMs,
  );
}

/** The op that failed most after `fromMs` (until `toMs`), from the per-second counts. */
function worstAfter(report: RunReport, fromMs: number, toMs: number | null): string {
  const { originMs, intervalMs, ops } = report.perSecond;
  const from = Math.max(0, Math.floor((fromMs - originMs) / intervalMs));
  const to = toMs === null ? undefined : Math.ceil((toMs - originMs) / intervalMs);
  let worst: { op: string; rate: number } | undefined;
  for (const [op, s] of Object.entries(ops)) {
    const total = s.count.slice(from, to).reduce((n, c) => n + c, 0);
    const failed = s.errors.slice(from, to).reduce((n, c) => n + c, 0);
    if (total > 0 && failed > 0 && (!worst || failed / total > worst.rate)) worst = { op, rate: failed / total };
  }
  if (!worst) return "";
  return `; ${pct(worst.rate)} of ${worst.op} iterations failed ${toMs === null ? "after it" : "meanwhile"}`;
}

/** A service that stopped answering with no action of the scenario's to explain it: a crash, named first. */
function outageFindings(report: RunReport): Finding[] {
  return (report.outages ?? [])
    .filter((o) => !causedByAction(report, o))
    .map((o) => {
      const name = SERVICE_LABEL[o.service] ?? o.service;
      const back =
        o.toMs === null
          ? "did not come back"
          : `answered again at ${seconds(o.toMs)} (${seconds(o.toMs - o.fromMs)} without it)`;
      return {
        score: rank(TIER.crash, 1),
        phase: "",
        op: "",
        text: `${name} stopped answering at ${seconds(o.fromMs)} and ${back}${worstAfter(report, o.fromMs, o.toMs)} (${o.reason})`,
      };
    });
}

/** An app instance that exited on its own mid-run: a crash, named with its exit and its last log line. */
function appCrashFindings(report: RunReport): Finding[] {
  return (report.app?.instances ?? []).flatMap((instance, i) => {
    if (!instance.crashed || instance.exitedMs === null) return [];
    const how = instance.signal ? `killed by ${instance.signal}` : `exit code ${instance.exitCode}`;
    const last = instance.crashed.lastLines
      .split("\n")
      .filter((l) => l.trim() !== "")
      .at(-1);
    return [
      {
        score: rank(TIER.crash, 1),
        phase: "",
        op: "",
        text: `app instance ${i + 1} (port ${instance.port}) exited at ${seconds(instance.exitedMs)} (${how})${worstAfter(report, instance.exitedMs, null)}${last ? `; its log ended: ${last.slice(0, 200)}` : ""}`,
      },
    ];
  });
}

/** At or above the launch-readiness error budget, an error rate outranks every latency finding. */
const ERROR_BUDGET = 0.01;

/** Ops that failed (errors, or never completed) at least the error budget in a measured phase, unless a
 * delta finding already says so. */
function failureFindings(report: RunReport, covered: Set<string>): Finding[] {
  const measured = measuredPhases(report);
  return report.ops.flatMap((o) => {
    const attempted = attemptsOf(o);
    const failed = failedOf(o);
    if (!measured.has(o.phase) || attempted === 0 || failed / attempted < ERROR_BUDGET) return [];
    if (covered.has(`${o.op}\u0000${o.phase}`)) return [];
    const classes = Object.entries(o.errorsByClass)
      .filter(([, n]) => n > 0)
      .map(([c, n]) => `${c} ${n}`);
    const parts = [
      `${o.op} failed ${pct(failed / attempted)} of iterations in ${o.phase} (${failed} of ${attempted})`,
      ...(classes.length > 0 ? [`errors by class: ${classes.join(", ")}`] : []),
      ...(o.interrupted > 0 ? [`${o.interrupted} never completed (interrupted at the end of gracefulStop)`] : []),
    ];
    const tier = isBackgroundOp(o.op) ? TIER.context : TIER.errors;
    return [{ score: rank(tier, 1e6 * (failed / attempted)), phase: o.phase, op: o.op, text: parts.join("; ") }];
  });
}

function significant(delta: number, base: number): boolean {
  return delta > MIN_DELTA_MS && delta > base * MIN_DELTA_RATIO;
}

export function findings(report: RunReport): Finding[] {
  const out: Finding[] = [];
  const covered = new Set<string>();
  for (const d of report.deltas) {
    const userFacing = !isBackgroundOp(d.op);
    const weight = userFacing ? 10 : 1;
    const parts: string[] = [];
    let score = 0;
    let tier: number = userFacing ? TIER.latency : TIER.context;
    if (d.deltaErrorRate > 0.001) {
      parts.push(`${d.op} failed ${pct(d.errorRate)} of requests (baseline ${pct(d.errorRate - d.deltaErrorRate)})`);
      score += weight * 1000 * d.deltaErrorRate * 100;
      if (d.errorRate >= ERROR_BUDGET && userFacing) tier = TIER.errors;
      covered.add(`${d.op}\u0000${d.phase}`);
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
    out.push({
      score: rank(tier, score),
      phase: d.phase,
      op: d.op,
      text: [`${parts[0]} ${when(report, d.phase)}`, ...parts.slice(1)].join("; ") + recovery(d),
    });
  }
  out.push(...failureFindings(report, covered), ...outageFindings(report), ...appCrashFindings(report));
  const general = (f: { score: number; text: string }) => ({ ...f, phase: "", op: "" });
  out.push(...baselineFindings(report).map(general), ...actionFindings(report).map(general));
  out.push(...saturationFindings(report).map(general));
  for (const a of report.actions) {
    const failure = actionFailure(a);
    if (failure === undefined) continue;
    // The fault was not (fully) injected: what follows may not be the rehearsal the scenario meant.
    const optional = a.optional ? " (optional: the verdict does not count it)" : "";
    out.push({
      score: rank(a.optional ? TIER.context : TIER.actionFailed, 1),
      phase: "",
      op: "",
      text: `action ${a.name} failed${optional}: ${failure}`,
    });
  }
  const measured = measuredPhases(report);
  for (const h of hostCpuByPhase(report)) {
    if (h.stealPctMax < NOISY_STEAL_PCT || !measured.has(h.phase)) continue;
    out.push({
      score: rank(TIER.context, 0.02),
      phase: h.phase,
      op: "",
      text: `the host lost up to ${h.stealPctMax}% of its CPU to other machines (steal) in ${h.phase} (mean ${h.stealPctMean}%): latency changes of a few ms there may be noise, not the fault`,
    });
  }
  return out.sort((a, b) => b.score - a.score);
}
