/**
 * report.json's actions[]: each action kind's result as a type of its own (a
 * union by name), so findings and renderers read fields the typechecker
 * knows: renaming one fails the build instead of silently dropping a finding.
 */
import type { ServiceName } from "./names.ts";

/** What can go wrong with any action: it threw, its revert threw, or it was refused; `reverted` once undone. */
export interface ActionOutcome {
  error?: string;
  revertError?: string;
  refused?: string;
  reverted?: boolean;
}

/** A migration run straight at Postgres in one transaction with lock_timeout (and an optional hold). */
export interface MigrationOutcome {
  migrated: boolean;
  /** ms from its start until its statement had taken its lock and run. */
  lockAcquiredMs?: number;
  /** How long the lock was held after that (the `hold`), ms. */
  holdMs?: number;
  migrationMs: number;
  lockTimedOut?: boolean;
  migrationError?: string;
}

/** One app instance stopped by a deploy (or the end of an app-scale burst), as a platform stops a pod. */
export interface InstanceStop {
  /** 1-based, as the report's app.instances lists them. */
  instance: number;
  port: number;
  /** When it left the http client's rotation (report clock). */
  drainedAtMs: number;
  /** How long it stayed out of rotation before its stop signal (the drain). */
  drainMs: number;
  signal: string;
  signalAtMs: number;
  /** From the stop signal until every process of its group was gone; null: never (killed, then gone). */
  exitedAfterMs: number | null;
  /** graceful: every process of its group exited within stopTimeout; killed: SIGKILLed after it. */
  outcome: "graceful" | "killed";
  /** How its command (the group's leader) ended: `node server.js` exits 0; `npm start`, npm, ends by the
   * SIGTERM it passed on (signal "SIGTERM") whatever the app's own exit. */
  exitCode: number | null;
  exitSignal: string | null;
  /** Requests that failed on this instance from the moment it left rotation. */
  failedRequests: number;
}

export interface ActionResults {
  "flush-cache": { scope: "prefix" | "all"; prefix?: string; mode: "async" | "sync"; keysRemoved: number };
  /** bytes: what a share ("90%") came to when the action started; keyBytes: what the keys used then. */
  maxmemory: {
    value: string;
    bytes?: number;
    keyBytes?: number;
    previous: string;
    policy: string;
    evictedKeys?: number;
  };
  "redis-client-pause": { mode: "all" | "write"; pausedMs: number };
  restart: { service: ServiceName; downMs: number };
  freeze: { service: ServiceName | "app"; instances?: number };
  kill: { service: ServiceName | "app"; instances?: number; downMs?: number };
  "pgbouncer-pause": { command: "PAUSE" };
  "pgbouncer-reconnect": { command: "RECONNECT"; serverConnectionsBefore: number };
  "pgbouncer-reload": {
    command: "RELOAD";
    /** PgBouncer's setting names, read back from SHOW CONFIG before and after. */
    settings: Record<string, { before: string | null; after: string | null }>;
    restored?: boolean;
  };
  backup: {
    exitCode: number;
    durationMs: number;
    bytes: number | null;
    restoreExitCode?: number;
    timeToUsableMs?: number;
    tablesChecked?: number;
    rowCountsOk?: boolean;
    rowCountMismatch?: string;
  };
  migration: MigrationOutcome;
  "deploy-burst": Partial<MigrationOutcome> & {
    pgbouncerRestartMs?: number;
    pgbouncerPausedMs?: number;
    workers: number;
    poolSize: number;
    connections: number;
    connectedMaxMs: number;
    warmOp: string | null;
    warmIterations: number;
    warmErrors: number;
    warmFirstError: string | null;
    warmedMaxMs: number | null;
  };
  "app-restart": Partial<MigrationOutcome> & {
    mode: "all" | "rolling";
    instances: number;
    maxSurge?: number;
    maxUnavailable?: number;
    /** The longest stretch with no ready instance in the rotation, ms (0: there always was one). */
    unavailableMs: number;
    /** When that stretch began and ended (report clock); absent when there was none. */
    unavailableFromMs?: number;
    unavailableToMs?: number;
    restartMs: number;
    newReadyMaxMs: number | null;
    stops: InstanceStop[];
    /** Requests that failed while the deploy ran, and of them the ones on stopping instances. */
    failedRequests: number;
    failedOnStopping: number;
  };
  "app-scale": { added: number; readyMaxMs: number | null; removed?: number; stops?: InstanceStop[] };
}

export type ActionName = keyof ActionResults;

export const ACTION_NAMES = [
  "flush-cache",
  "maxmemory",
  "redis-client-pause",
  "restart",
  "freeze",
  "kill",
  "pgbouncer-pause",
  "pgbouncer-reconnect",
  "pgbouncer-reload",
  "backup",
  "migration",
  "deploy-burst",
  "app-restart",
  "app-scale",
] as const satisfies readonly ActionName[];

/** One action on the run's timeline; a failed one may lack the fields it never got to fill. */
export type ActionRecord = {
  [N in ActionName]: {
    name: N;
    /** ms on the report's clock (the sampler's origin). */
    startMs: number;
    endMs: number;
    result: Partial<ActionResults[N]> & ActionOutcome;
    /** Marked optional in the scenario: its failure does not fail the run. */
    optional?: true;
  };
}[ActionName];

/** The record of one kind, narrowed by its name. */
export function isAction<N extends ActionName>(
  record: ActionRecord,
  name: N,
): record is Extract<ActionRecord, { name: N }> {
  return record.name === name;
}
