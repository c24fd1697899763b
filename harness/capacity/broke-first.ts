/**
 * What broke first, in plain words with the evidence: read from the first
 * confirmed failing step, against the last passing one. The order of the
 * questions is the order of causes: a queue for PgBouncer's server
 * connections (or rehearse's own client pool), errors, the host's CPU, the
 * app under test (its latency rose while nothing queued), or the queries
 * themselves (service time: locks, buffer misses).
 */
import type { BrokeFirst, CapacityStep, StepOp } from "../../reports/capacity/schema.ts";
import { fmtMs } from "../../reports/render/format.ts";

export interface BrokeFirstContext {
  poolSize: number;
  hasApp: boolean;
}

const SATURATED = 0.95;
const CPU_BOUND_PCT = 90;

export function brokeFirst(
  failing: CapacityStep | undefined,
  passing: CapacityStep | undefined,
  context: BrokeFirstContext,
): BrokeFirst | null {
  if (!failing) return null;
  if (failing.verdict === "generator-bound") {
    return {
      kind: "generator",
      op: null,
      evidence: `the generator could not keep its schedule at ${failing.rate}/s (started ${failing.achievedRate}/s; ${failing.generator.reasons.join("; ") || "behind schedule"})${failing.hostCpu.busyPct === null ? "" : `, with the host ${Math.round(failing.hostCpu.busyPct)}% busy`}: rehearse's one process on this machine, not the system, was the limit`,
    };
  }
  const latencyBroke = failing.budgets.filter((b) => !b.ok && /latency|http_req_duration|pool_wait/.test(b.metric));
  const errorsBroke = failing.budgets.some((b) => !b.ok && /errors|http_req_failed|checks/.test(b.metric));
  const worst = worstOp(failing);
  const before = passing?.ops.find((o) => o.op === worst?.op);
  const cpu = failing.hostCpu.busyPct;
  const cpuText = cpu === null ? "" : `, while the host CPU was ${Math.round(cpu)}% busy`;
  const where = `from ${failing.rate}/s`;
  if (latencyBroke.length === 0 && errorsBroke) {
    return {
      kind: "errors",
      op: worstErrors(failing)?.op ?? null,
      evidence: `errors: ${(failing.errorRate * 100).toFixed(1)}% of iterations failed ${where}${passing ? ` (${(passing.errorRate * 100).toFixed(2)}% at ${passing.rate}/s)` : ""}${cpuText}`,
    };
  }
  if (!worst) return { kind: "errors", op: null, evidence: `no iteration completed ${where}` };
  const rise = before ? `p95 ${before.p95Ms} → ${worst.p95Ms} ms` : `p95 ${worst.p95Ms} ms`;
  const util = failing.pgbouncerUtilisation?.max ?? 0;
  const queued = failing.poolWait.clWaitingMax ?? 0;
  const serverWait = failing.poolWait.serverMaxMs ?? 0;
  if (util >= SATURATED && (queued > 0 || serverWait >= worst.p95Ms * 0.3)) {
    return {
      kind: "pool_wait",
      op: worst.op,
      evidence: `pool wait — PgBouncer's ${context.poolSize} server connections were all busy ${where} (cl_waiting up to ${queued}, clients waited up to ${fmtMs(serverWait)}); ${worst.op} ${rise}${cpuText}`,
    };
  }
  if (worst.poolWaitP95Ms >= worst.p95Ms * 0.5) {
    return {
      kind: "pool_wait",
      op: worst.op,
      evidence: `pool wait — the client pool was exhausted ${where}: ${worst.op} waited ${fmtMs(worst.poolWaitP95Ms)} (p95) for a connection of its ${rise}${cpuText}`,
    };
  }
  if (cpu !== null && cpu >= CPU_BOUND_PCT) {
    return {
      kind: "cpu",
      op: worst.op,
      evidence: `CPU — the host was ${Math.round(cpu)}% busy ${where} (${passing?.hostCpu.busyPct ?? "?"}% at ${passing?.rate ?? "?"}/s); ${worst.op} ${rise} with little pool wait`,
    };
  }
  if (context.hasApp) {
    return {
      kind: "app",
      op: worst.op,
      evidence: `the app — ${worst.op} ${rise} ${where} while pool wait stayed flat (PgBouncer cl_waiting up to ${queued}, utilisation ${Math.round(util * 100)}%)${cpuText}`,
    };
  }
  const service = before ? `${before.serviceP95Ms} → ${worst.serviceP95Ms} ms` : `${worst.serviceP95Ms} ms`;
  return {
    kind: "service_time",
    op: worst.op,
    evidence: `service time — the queries themselves slowed ${where}: ${worst.op} service p95 ${service} with no queue for connections (locks, buffer misses)${cpuText}`,
  };
}

/** The op whose latency budget broke by the most (its p95 against the others'). */
function worstOp(step: CapacityStep): StepOp | undefined {
  const broken = new Set(
    step.budgets
      .filter((b) => !b.ok)
      .flatMap((b) => step.ops.filter((o) => b.metric.includes(`op:${o.op}`)).map((o) => o.op)),
  );
  const candidates = step.ops.filter((o) => broken.size === 0 || broken.has(o.op));
  return candidates.sort((a, b) => b.p95Ms - a.p95Ms)[0];
}

function worstErrors(step: CapacityStep): StepOp | undefined {
  return [...step.ops].sort((a, b) => b.errors / Math.max(1, b.count) - a.errors / Math.max(1, a.count))[0];
}
