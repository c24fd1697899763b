/**
 * A deploy's worker burst: N fresh workers start at once, each opening its own
 * pool to PgBouncer and its own Redis connection and warming caches with one
 * of the workload's ops, while the steady workload keeps running. Optionally a
 * migration first (straight at Postgres, with lock_timeout), and PgBouncer
 * paused around it or restarted before the workers connect, as deploy scripts
 * do. The workers live in a process of their own (see deploy-workers/child.ts).
 */
import { z } from "zod";
import type { ActionResults } from "../../../reports/schema.ts";
import { startFleet } from "../deploy-workers/fleet.ts";
import { actionKind, NOT_OURS } from "../types.ts";
import { type MigrationSpec, runMigration } from "./migration.ts";
import { migrationSchema, oneOf, wholeNumber } from "./options.ts";

const DEFAULT_POOL_SIZE = 5;
const DEFAULT_WARM_ITERATIONS = 20;
/** Bounds the warm-up whatever the op does. */
const WARM_LIMIT_MS = 120_000;

interface DeployBurst {
  workers: number;
  poolSize: number;
  warmOp: string | null;
  warmIterations: number;
  migration?: MigrationSpec | undefined;
  pgbouncer?: "pause" | "restart" | undefined;
}

export const deployBurst = actionKind<"deploy-burst", DeployBurst>({
  needsDuration: false,
  options: (names) =>
    z
      .strictObject({
        workers: wholeNumber(1, 500),
        poolSize: wholeNumber(1, 100).default(DEFAULT_POOL_SIZE),
        warmOp: z
          .string()
          .refine((op) => names.ops.includes(op), {
            error: (issue) => `no op named ${JSON.stringify(issue.input)} (ops: ${names.ops.join(", ")})`,
          })
          .optional(),
        warmIterations: wholeNumber(0, 10_000).default(DEFAULT_WARM_ITERATIONS),
        migration: migrationSchema().optional(),
        pgbouncer: oneOf(["pause", "restart"]).optional(),
      })
      .transform((o): DeployBurst => ({ ...o, warmOp: o.warmOp ?? null })),
  onExternal: ({ pgbouncer }) =>
    pgbouncer === "restart" ? { unsupported: `pgbouncer: "restart": ${NOT_OURS}` } : "opt-in",
  async run({ stack, scenarioFile, client, cachePrefix, signal }, options, { durationMs }) {
    const result: Partial<ActionResults["deploy-burst"]> = {};
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
    const burst: ActionResults["deploy-burst"] = { ...result, ...fleet.result };
    if (durationMs === undefined) {
      await fleet.stop();
      return { result: burst };
    }
    // The workers stay connected for the duration, as a deployed fleet would.
    return {
      result: burst,
      revert: async () => {
        await fleet.stop();
        return undefined;
      },
    };
  },
});
