/**
 * capacity.json, the wire format of `rehearse capacity` (versioned; other
 * tools rely on these names, the README documents them).
 */

export const CAPACITY_SCHEMA_VERSION = 1;

export type CapacityStatus = "found" | "generator-bound" | "host-bound" | "not-found" | "aborted";
export type BrokeFirstKind =
  | "pool_wait"
  | "http_connections"
  | "errors"
  | "service_time"
  | "cpu"
  | "app"
  | "generator"
  | "host";

export interface BrokeFirst {
  kind: BrokeFirstKind;
  /** The op whose budget broke (null: the run as a whole, or the generator). */
  op: string | null;
  /** In plain words, with the numbers. */
  evidence: string;
}

export interface CapacityBudget {
  metric: string;
  expression: string;
  /** "default": the launch-readiness bar, because no --budget named this metric. */
  source: "default" | "flag";
}

export interface StepOp {
  op: string;
  count: number;
  errors: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  poolWaitP95Ms: number;
  serviceP95Ms: number;
}

export interface StepBudget {
  metric: string;
  expression: string;
  ok: boolean;
  actual: number;
}

export interface CapacityStep {
  /** Target iterations/s, all ops together. */
  rate: number;
  /** What the generator started per second in the steady window. */
  achievedRate: number;
  passed: boolean;
  verdict: "passed" | "failed" | "generator-bound" | "host-bound";
  /** A repeat of the previous step, to confirm a breach. */
  repeat: boolean;
  /** A failure believed without a repeat: iterations dropped, or every broken budget missed twice over. */
  clearBreach: boolean;
  ops: StepOp[];
  budgets: StepBudget[];
  /** Failed iterations / all, in the steady window. */
  errorRate: number;
  poolWait: {
    /** rehearse's own client pool (its worst op's p95). */
    clientP95Ms: number;
    /** PgBouncer: the longest a client waited for a server connection (SHOW POOLS maxwait). */
    serverMaxMs: number | null;
    /** PgBouncer: clients queued for a server connection, at most. */
    clWaitingMax: number | null;
  };
  /** sv_active / pool size over the steady window (0–1); null when PgBouncer gave no sample. */
  pgbouncerUtilisation: { mean: number; max: number } | null;
  cacheHitRatio: number | null;
  hostCpu: { busyPct: number | null; stealPct: number | null };
  /** Mean cores over the steady window: rehearse, the app (all instances, and the busiest one), each server, the
   * rest of the machine (Linux only; null elsewhere). */
  cpu: {
    rehearse: number;
    app: number;
    appMax: number;
    postgres: number;
    pgbouncer: number;
    redis: number;
    other: number;
  } | null;
  generator: { valid: boolean; reasons: string[]; dispatchLagP99Ms: number };
}

export interface CapacityReport {
  schemaVersion: typeof CAPACITY_SCHEMA_VERSION;
  kind: "capacity";
  scenario: string;
  provider: string;
  startedAt: string;
  durationS: number;
  status: CapacityStatus;
  /** Why the search stopped where it did. */
  reason: string;
  /** Total iterations/s of the best passing step. */
  capacityRate: number | null;
  firstFailingRate: number | null;
  brokeFirst: BrokeFirst | null;
  /** With --target-rate: the rate the CI gate asks for, and whether it held. */
  targetRate: number | null;
  targetMet: boolean | null;
  budgets: CapacityBudget[];
  /** The traffic mix the search scales: each arrival-rate scenario's share of the total. */
  mix: { scenario: string; op: string; share: number }[];
  /** Closed-loop scenarios (background workers): run beside every step at their peak VUs, not scaled. */
  background: { scenario: string; op: string; vus: number }[];
  settings: {
    stepDurationS: number;
    warmupS: number;
    precisionPct: number;
    startRate: number;
    maxRate: number;
    pgbouncerPoolSize: number;
    pgbouncerPoolMode: string;
    /** Pool utilisation is noted against this share (not judged). */
    utilisationNote: number;
  };
  /** The first step rate at which PgBouncer's pool passed the utilisation note (null: never). */
  utilisationPassedAt: number | null;
  steps: CapacityStep[];
}
