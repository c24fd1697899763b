/** The short console summary of a run: a pure function of report.json. */
import { hostCpuLine } from "./host-cpu.ts";
import { DEFAULTS_HELD, signed, thresholdEvidence, thresholdsToList } from "./render/format.ts";
import type { RunReport } from "./schema.ts";

const pad = (text: string, width: number) => text.padEnd(width);

export function renderSummary(report: RunReport): string {
  const lines: string[] = [];
  lines.push(
    `rehearse: ${report.scenario} on ${report.provider}: ${report.status.toUpperCase()} (${(report.durationMs / 1000).toFixed(1)} s)`,
  );
  for (const reason of report.statusReasons) lines.push(`  ${reason}`);
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
  const lastPhase = report.phases.at(-1)?.name;
  for (const d of report.deltas) {
    const recovery =
      d.phase === lastPhase
        ? "the run ended with it"
        : d.recoveryMs === null
          ? "not recovered"
          : `recovered ${(d.recoveryMs / 1000).toFixed(0)} s after it`;
    const hits = d.deltaCacheHitRatio === null ? "" : `, cache hits ${signed(d.deltaCacheHitRatio * 100)} pts`;
    const redisHits =
      d.deltaServerCacheHitRatio === null || d.deltaServerCacheHitRatio === undefined
        ? ""
        : `, Redis hit ratio ${signed(d.deltaServerCacheHitRatio * 100)} pts`;
    const serverWait =
      d.deltaServerPoolWaitMs === null || d.deltaServerPoolWaitMs === undefined
        ? ""
        : `, server pool wait ${signed(d.deltaServerPoolWaitMs)} ms`;
    lines.push(
      `  Δ ${d.phase} vs baseline, ${d.op}: p95 ${signed(d.deltaP95Ms)} ms, pool wait p95 ${signed(d.deltaPoolWaitP95Ms)} ms${serverWait}${hits}${redisHits}, peak cl_waiting ${d.peakClWaiting}; ${recovery}`,
    );
  }
  const { listed, defaultsHeld } = thresholdsToList(report.thresholds);
  for (const t of listed) lines.push(`  ${t.ok ? "✓" : "✗"} ${t.metric} ${t.expression} (${thresholdEvidence(t)})`);
  if (defaultsHeld > 0) lines.push(`  ✓ ${DEFAULTS_HELD(defaultsHeld)}`);
  const g = report.generator;
  lines.push(
    `  generator: ${g.achievedRate.toFixed(1)}/${g.targetRate.toFixed(1)} it/s, dispatch lag p99 ${g.dispatchLagP99Ms} ms, dropped ${g.droppedIterations}, ${g.valid ? "valid" : "INVALID"}`,
  );
  const host = hostCpuLine(report);
  if (host) lines.push(`  ${host}`);
  return lines.join("\n");
}
