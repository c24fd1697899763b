/**
 * What broke first, in plain words with the evidence: read from the first
 * confirmed failing step, against the last passing one. On one machine the
 * app, the servers and rehearse share the CPU, so each step's CPU per part
 * (rehearse, the app, each server, everything else) says whose limit it was:
 * - a step that could not be judged: rehearse itself (late while the host had
 *   idle CPU) → generator; every core busy → host, a finding about the set-up;
 * - PgBouncer's server connections all busy with clients queued → pool wait;
 * - an app instance at a full core (or its latency rising while query time and
 *   pool wait stay flat) → the app;
 * - the http client's connections to the app all busy → http connections, unless every core was busy (the
 *   app's answers waited for CPU) → cpu;
 * - rehearse's own client pool exhausted → pool wait;
 * - only error budgets broke → errors; the host ≥ 90% busy → cpu; else the
 *   queries themselves (service time: locks, buffer misses).
 */
import type { BrokeFirst, CapacityStep, StepOp } from "../../reports/capacity/schema.ts";
import { fmtMs } from "../../reports/render/format.ts";

export interface BrokeFirstContext {
  poolSize: number;
  hasApp: boolean;
  /** App instances behind the http client (each a process: a single-threaded app saturates at one core). */
  appInstances: number;
  /** The http client's keep-alive connections per app instance. */
  httpConnections: number;
}

const SATURATED = 0.95;
const CPU_BOUND_PCT = 90;
/** An app instance this close to a full core is the bottleneck (a Node app runs its JavaScript on one). */
const APP_CORE_SATURATED = 0.9;

const cores = (n: number) => `${n.toFixed(2)} cores`;

/** "the app 0.96 cores (its busiest instance 0.96), rehearse 0.31, postgres 0.12 …": whose CPU it was. */
function cpuShares(step: CapacityStep): string {
  const c = step.cpu;
  if (!c) return "";
  const parts = [
    ...(c.app > 0
      ? [`the app ${cores(c.app)}${c.appMax < c.app ? ` (its busiest instance ${c.appMax.toFixed(2)})` : ""}`]
      : []),
    `rehearse ${c.rehearse.toFixed(2)}`,
    `postgres ${c.postgres.toFixed(2)}`,
    `pgbouncer ${c.pgbouncer.toFixed(2)}`,
    `redis ${c.redis.toFixed(2)}`,
    ...(c.other >= 0.05 ? [`other programs ${c.other.toFixed(2)}`] : []),
  ];
  return `; CPU: ${parts.join(", ")}`;
}

export function brokeFirst(
  failing: CapacityStep | undefined,
  passing: CapacityStep | undefined,
  context: BrokeFirstContext,
): BrokeFirst | null {
  if (!failing) return null;
  const busy = failing.hostCpu.busyPct;
  const hostText = busy === null ? "" : `, with the host ${Math.round(busy)}% busy`;
  if (failing.verdict === "generator-bound") {
    return {
      kind: "generator",
      op: null,
      evidence: `the generator could not keep its schedule at ${failing.rate}/s (started ${failing.achievedRate}/s; ${failing.generator.reasons.join("; ") || "behind schedule"})${hostText}${cpuShares(failing)}: rehearse's one process, not the system, was the limit`,
    };
  }
  if (failing.verdict === "host-bound") {
    return {
      kind: "host",
      op: null,
      evidence: `every core of this machine was busy at ${failing.rate}/s (${Math.round(busy ?? 100)}% busy)${cpuShares(failing)}: rehearse started ${failing.generator.reasons.join("; ") || "late"}; the test set-up, not the system, was the limit: give the app or rehearse a machine of its own`,
    };
  }
  const latencyBroke = failing.budgets.filter((b) => !b.ok && /latency|http_req_duration|pool_wait/.test(b.metric));
  const errorsBroke = failing.budgets.some((b) => !b.ok && /errors|http_req_failed|checks/.test(b.metric));
  const worst = worstOp(failing);
  const before = passing?.ops.find((o) => o.op === worst?.op);
  const cpuText = busy === null ? "" : `, while the host CPU was ${Math.round(busy)}% busy`;
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
  const appCpu = failing.cpu;
  // Steal is time the hypervisor gave other guests: a process that wants a whole core gets 1 − steal of one
  // (seen: an app at 0.88 of a core with 27% steal, saturated).
  const steal = Math.min(0.9, Math.max(0, (failing.hostCpu.stealPct ?? 0) / 100));
  if (context.hasApp && appCpu && appCpu.appMax >= APP_CORE_SATURATED * (1 - steal)) {
    const stolen =
      steal >= 0.05
        ? `, of the ${(1 - steal).toFixed(2)} the hypervisor left it (steal ${Math.round(steal * 100)}%)`
        : "";
    return {
      kind: "app",
      op: worst.op,
      evidence: `the app — its busiest instance used ${appCpu.appMax.toFixed(2)} of a core${stolen} ${where} (${context.appInstances} instance${context.appInstances === 1 ? "" : "s"}, a Node process runs its JavaScript on one core): ${worst.op} ${rise} while query time stayed ${before ? `${before.serviceP95Ms} → ${worst.serviceP95Ms}` : worst.serviceP95Ms} ms${cpuShares(failing)}`,
    };
  }
  // Every core busy while requests queued for the app's connections: they were busy because the app's answers
  // waited for CPU (the app, rehearse and the servers share the machine), and more connections add no core.
  if (context.hasApp && worst.poolWaitP95Ms >= worst.p95Ms * 0.5 && busy !== null && busy >= CPU_BOUND_PCT) {
    return {
      kind: "cpu",
      op: worst.op,
      evidence: `CPU — the host was ${Math.round(busy)}% busy ${where} (${passing?.hostCpu.busyPct ?? "?"}% at ${passing?.rate ?? "?"}/s): ${worst.op} ${rise}, most of it waiting for one of the http client's connections (${fmtMs(worst.poolWaitP95Ms)} p95), busy while the app waited for a core${cpuShares(failing)} (give the app cores of its own)`,
    };
  }
  if (worst.poolWaitP95Ms >= worst.p95Ms * 0.5) {
    if (context.hasApp) {
      return {
        kind: "http_connections",
        op: worst.op,
        evidence: `the http client's ${context.httpConnections} connections per app instance were all busy ${where}: ${worst.op} waited ${fmtMs(worst.poolWaitP95Ms)} (p95) for one, of its ${rise}, while no app instance used a full core${cpuShares(failing)} (raise app.connections, or the app answers too slowly)`,
      };
    }
    return {
      kind: "pool_wait",
      op: worst.op,
      evidence: `pool wait — the client pool was exhausted ${where}: ${worst.op} waited ${fmtMs(worst.poolWaitP95Ms)} (p95) for a connection of its ${rise}${cpuText}`,
    };
  }
  if (busy !== null && busy >= CPU_BOUND_PCT) {
    return {
      kind: "cpu",
      op: worst.op,
      evidence: `CPU — the host was ${Math.round(busy)}% busy ${where} (${passing?.hostCpu.busyPct ?? "?"}% at ${passing?.rate ?? "?"}/s); ${worst.op} ${rise} with little pool wait${cpuShares(failing)}`,
    };
  }
  if (context.hasApp) {
    return {
      kind: "app",
      op: worst.op,
      evidence: `the app — ${worst.op} ${rise} ${where} while pool wait stayed flat (PgBouncer cl_waiting up to ${queued}, utilisation ${Math.round(util * 100)}%)${cpuText}${cpuShares(failing)}`,
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
