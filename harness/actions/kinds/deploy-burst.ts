/**
 * A deploy's worker burst: N fresh workers start at once, each opening its own
 * pool to PgBouncer and its own Redis connection and warming caches with one
 * of the workload's ops, while the steady workload keeps running. Optionally a
 * migration first (straight at Postgres, with lock_timeout), and PgBouncer
 * paused around it or restarted before the workers connect, as deploy scripts
 * do. The workers live in a process of their own (see deploy-workers/child.ts).
 */
import { startFleet } from "../deploy-workers/fleet.ts";
import { type ActionResult, actionKind, NOT_OURS } from "../types.ts";
import { type MigrationSpec, migrationOption, migrationSpec, runMigration } from "./migration.ts";
import { all, intOption, oneOf, onlyOptions } from "./options.ts";

const DEFAULT_POOL_SIZE = 5;
const DEFAULT_WARM_ITERATIONS = 20;
/** Bounds the warm-up whatever the op does. */
const WARM_LIMIT_MS = 120_000;

interface DeployBurst {
  workers: number;
  poolSize: number;
  warmOp: string | null;
  warmIterations: number;
  migration: MigrationSpec | undefined;
  pgbouncer: "pause" | "restart" | undefined;
}

export const deployBurst = actionKind({
  needsDuration: false,
  validate: all(
    onlyOptions(["workers", "poolSize", "warmOp", "warmIterations", "migration", "pgbouncer"]),
    intOption("workers", 1, 500, true),
    intOption("poolSize", 1, 100),
    intOption("warmIterations", 0, 10_000),
    oneOf("pgbouncer", ["pause", "restart"]),
    (options, where, names) =>
      options.warmOp === undefined || names.ops.includes(options.warmOp as string)
        ? []
        : [`${where}.warmOp: no op named ${JSON.stringify(options.warmOp)} (ops: ${names.ops.join(", ")})`],
    migrationOption,
  ),
  parse: (options): DeployBurst => ({
    workers: options.workers as number,
    poolSize: (options.poolSize as number | undefined) ?? DEFAULT_POOL_SIZE,
    warmOp: typeof options.warmOp === "string" ? options.warmOp : null,
    warmIterations: (options.warmIterations as number | undefined) ?? DEFAULT_WARM_ITERATIONS,
    migration:
      options.migration === undefined ? undefined : migrationSpec(options.migration as Record<string, unknown>),
    pgbouncer: options.pgbouncer as DeployBurst["pgbouncer"],
  }),
  onExternal: ({ pgbouncer }) =>
    pgbouncer === "restart" ? { unsupported: `pgbouncer: "restart": ${NOT_OURS}` } : "opt-in",
  async run({ stack, scenarioFile, client, cachePrefix, signal }, options, { durationMs }) {
    const result: ActionResult = {};
    const t0 = performance.now();
    if (options.pgbouncer === "restart") {
      await stack.restart("pgbouncer");
      result.pgbouncerRestartMs = Math.round(performance.now() - t0);
    }
    if (options.pgbouncer === "pause") await stack.pgbouncerAdmin("PAUSE");
    try {
      if (options.migration) Object.assign(result, await runMigration(stack.urls.postgres, options.migration));
    } finally {
      if (options.pgbouncer === "pause") {
        await stack.pgbouncerAdmin("RESUME");
        result.pgbouncerPausedMs = Math.round(performance.now() - t0);
      }
    }
    const fleet = await startFleet(
      {
        scenarioFile,
        pgbouncerUrl: stack.urls.pgbouncer,
        redisUrl: stack.urls.redis,
        cachePrefix,
        client,
        workers: options.workers,
        poolSize: options.poolSize,
        warmOp: options.warmOp,
        warmIterations: options.warmIterations,
        warmLimitMs: WARM_LIMIT_MS,
      },
      signal,
    );
    Object.assign(result, fleet.result);
    if (durationMs === undefined) {
      await fleet.stop();
      return { result };
    }
    // The workers stay connected for the duration, as a deployed fleet would.
    return {
      result,
      revert: async () => {
        await fleet.stop();
        return undefined;
      },
    };
  },
});
