/** The short console summary of a run: a pure function of report.json. */
import { hostCpuLine } from "./host-cpu.ts";
import { DEFAULTS_HELD, fmtPct, signed, thresholdEvidence, thresholdsToList, workerText } from "./render/format.ts";
import { segmentsLine } from "./render/segments.ts";
import { recoveryCell } from "./render/tables.ts";
import type { RunReport } from "./schema.ts";

const pad = (text: string, width: number) => text.padEnd(width);

export function renderSummary(report: RunReport): string {
  const lines: string[] = [];
  lines.push(
    `rehearse: ${report.scenario} on ${report.provider}: ${report.status.toUpperCase()} (${(report.durationMs / 1000).toFixed(1)} s)`,
  );
  for (const reason of report.statusReasons) lines.push(`  ${reason}`);
  const segments = segmentsLine(report);
  if (segments) lines.push(`  ${segments}`);
  if (report.segment) lines.push(`  its load began ${report.segment.startLagMs} ms after the shared start`);
  const width = Math.max(4, ...report.ops.map((o) => o.op.length));
  const phaseWidth = Math.max(5, ...report.ops.map((o) => o.phase.length));
  lines.push(
    `  ${pad("phase", phaseWidth)}  ${pad("op", width)}  ${pad("count", 8)}${pad("errors", 8)}latency p50 / p95 / p99 ms     pool wait p95 ms`,
  );
  for (const o of report.ops) {
    const latency = `${o.latencyMs.p50} / ${o.latencyMs.p95} / ${o.latencyMs.p99}`;
    lines.push(
      `  ${pad(o.phase, phaseWidth)}  ${pad(o.op, width)}  ${pad(String(o.count), 8)}${pad(String(o.errors), 8)}${pad(latency, 31)}${o.poolWaitMs.p95}`,
    );
  }
  for (const d of report.deltas) {
    const hits = d.deltaCacheHitRatio === null ? "" : `, cache hits ${signed(d.deltaCacheHitRatio * 100)} pts`;
    const errors = d.errorRate > 0 ? `, errors ${fmtPct(d.errorRate)}` : "";
    const recovery = recoveryCell(d).text;
    lines.push(
      `  Δ ${d.phase} vs baseline, ${d.op}: p95 ${signed(d.deltaP95Ms)} ms, pool wait p95 ${signed(d.deltaPoolWaitP95Ms)} ms${errors}${hits}${recovery ? `; recovery: ${recovery}` : ""}`,
    );
  }
  // The servers' signals are the server's: once per phase, not on every op.
  for (const p of report.phaseSignals ?? []) {
    const parts = [
      p.serverPoolWaitMs === null ? "" : `PgBouncer wait ${p.serverPoolWaitMs} ms/xact`,
      p.peakClWaiting > 0 ? `cl_waiting ≤ ${p.peakClWaiting}` : "",
      p.redisHitRatio === null ? "" : `Redis hit ratio ${fmtPct(p.redisHitRatio)}`,
      p.peakLockWaiters > 0 ? `lock waiters ≤ ${p.peakLockWaiters}` : "",
    ].filter((x) => x !== "");
    if (parts.length > 0) lines.push(`  servers in ${p.phase}: ${parts.join(", ")}`);
  }
  const { listed, defaultsHeld } = thresholdsToList(report.thresholds);
  for (const t of listed) lines.push(`  ${t.ok ? "✓" : "✗"} ${t.metric} ${t.expression} (${thresholdEvidence(t)})`);
  if (defaultsHeld > 0) lines.push(`  ✓ ${DEFAULTS_HELD(defaultsHeld)}`);
  const g = report.generator;
  lines.push(
    `  generator: ${g.achievedRate.toFixed(1)}/${g.targetRate.toFixed(1)} it/s, dispatch lag p99 ${g.dispatchLagP99Ms} ms, dropped ${g.droppedIterations}, ${g.valid ? "valid" : "INVALID"}${g.workers ? ` (${g.workers.length} load threads)` : ""}`,
  );
  for (const w of (g.workers ?? []).filter((w) => !w.valid)) lines.push(`  load worker ${w.segment}: ${workerText(w)}`);
  for (const note of g.notes ?? []) lines.push(`  generator note: ${note}`);
  const host = hostCpuLine(report);
  if (host) lines.push(`  ${host}`);
  return lines.join("\n");
}
