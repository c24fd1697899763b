/**
 * The deploy burst's workers, in a process of their own as a deploy's new
 * workers are: their connection handshakes and warm-up work then compete with
 * the load generator for CPU, as they would on a host, without stalling its
 * event loop (in-process, 120 SCRAM handshakes made the generator late).
 * Imports the scenario's ops (the parent validated it), opens every worker's pool and Redis
 * connection at once, warms, reports, then holds its connections until told
 * to stop, or until rehearse goes away (the IPC channel closes).
 */
import { Redis } from "ioredis";
import { createDbPool, warmPool } from "../../clients/db.ts";
import { IterationTimer } from "../../clients/iteration-timer.ts";
import { type OpTargets, opContext } from "../../clients/op-context.ts";
import { importScenarioOps } from "../../scenario/scenario-ops.ts";
import type { ChildMessage, FleetConfig, ParentMessage, WarmedFleet } from "./protocol.ts";

/** Worker iterations are numbered apart from the load's, reproducibly. */
const ITERATION_BASE = 2_000_000;

const workers: OpTargets[] = [];
let stopping = false;

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function closeAndExit(code: number): Promise<never> {
  stopping = true;
  await Promise.allSettled(
    workers.splice(0).map(async (worker) => {
      worker.redis.disconnect();
      await worker.pool.end();
    }),
  );
  process.exit(code);
}

async function warm(config: FleetConfig): Promise<WarmedFleet> {
  const ops = await importScenarioOps(config.scenarioFile);
  const op = config.warmOp ? ops[config.warmOp] : undefined;
  const iterations = op ? config.warmIterations : 0;
  const deadline = performance.now() + config.warmLimitMs;
  const connectMs: number[] = [];
  const warmMs: number[] = [];
  let warmErrors = 0;
  let firstError: string | null = null;
  let warmed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: config.workers }, async (_, w) => {
      const worker = {
        pool: createDbPool(config.pgbouncerUrl, { ...config.client, poolSize: config.poolSize }),
        redis: new Redis(config.redisUrl, { maxRetriesPerRequest: 1 }),
        cachePrefix: config.cachePrefix,
      };
      worker.redis.on("error", () => {});
      workers.push(worker);
      await warmPool(worker.pool, config.poolSize);
      connectMs.push(performance.now() - t0);
      if (!op) return;
      let next = 0;
      // poolSize loops share the worker's iterations, as its request handlers would.
      await Promise.all(
        Array.from({ length: config.poolSize }, async () => {
          while (next < iterations && !stopping && performance.now() < deadline) {
            const i = next++;
            // Nothing reads the timings of a warm-up: one throwaway timer serves both views.
            const timer = new IterationTimer();
            try {
              await op(opContext(worker, timer, w + 1, ITERATION_BASE + w * iterations + i));
              warmed++;
            } catch (error) {
              warmErrors++;
              firstError ??= (error as Error).message.slice(0, 200);
            }
          }
        }),
      );
      warmMs.push(performance.now() - t0);
    }),
  );
  return {
    workers: config.workers,
    poolSize: config.poolSize,
    connections: config.workers * config.poolSize,
    connectedMaxMs: Math.round(Math.max(0, ...connectMs)),
    warmOp: config.warmOp,
    warmIterations: warmed,
    warmErrors,
    warmFirstError: firstError,
    warmedMaxMs: warmMs.length > 0 ? Math.round(Math.max(...warmMs)) : null,
  };
}

process.on("message", (message: ParentMessage) => {
  if (message.type === "stop") {
    void closeAndExit(0);
    return;
  }
  warm(message).then(
    (result) => send({ type: "warmed", result }),
    (error: Error) => {
      send({ type: "failed", message: error.message.split("\n")[0] ?? "failed" });
      void closeAndExit(1);
    },
  );
});
// Ctrl-C reaches the whole process group: rehearse decides when the fleet stops.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => void closeAndExit(0));
// rehearse gone (killed, crashed): the fleet goes too.
process.on("disconnect", () => void closeAndExit(0));
