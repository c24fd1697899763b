/**
 * A load worker (`rehearse run --workers N`): one thread running one segment of the load with its own
 * clients (a share of the db pool, a Redis connection, http pools), started at the instant the main thread
 * gives. It loads the scenario file itself (ops are functions), sends a tick a second and, at the end,
 * its metrics encoded. Routing changes and a stop come from the main thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import { Redis } from "ioredis";
import { BadInputError } from "../../core/errors.ts";
import { REDIS_CLIENT } from "../clients/cache.ts";
import { createDbPool, warmPool } from "../clients/db.ts";
import { HttpTargets } from "../clients/http.ts";
import { PoolGuard } from "../clients/pool-guard.ts";
import { createExecutor } from "../executors/index.ts";
import { executorShare } from "../executors/segment.ts";
import { storeToWire } from "../metrics/store-wire.ts";
import { type LoadedScenario, loadScenario } from "../scenario/load.ts";
import { loadOptionsOf, totalsOf } from "./load-options.ts";
import { runLoad } from "./run-load.ts";
import {
  type DerivedLoad,
  type FromWorker,
  hrNowMs,
  type LastSecond,
  type ToWorker,
  type WorkerInit,
} from "./worker-protocol.ts";

const port = parentPort;
if (!port) throw new Error("load-worker.ts runs in a worker thread");
const init = workerData as WorkerInit;
const send = (message: FromWorker) => port.postMessage(message);

const stop = new AbortController();
const http = new HttpTargets(init.http);
let startAt: (atHrMs: number) => void = () => {};
const started = new Promise<number>((resolve) => {
  startAt = resolve;
});

// Listening from the first moment: routing sent before the load starts is queued, then applied in order.
port.on("message", (message: ToWorker) => {
  switch (message.type) {
    case "start":
      return startAt(message.atHrMs);
    case "origins":
      http.setOrigins(message.origins);
      return send({ type: "reply", id: message.id, failures: http.ownFailures() });
    case "settled":
      return void http
        .settled(message.origin)
        .then(() => send({ type: "reply", id: message.id, failures: http.ownFailures() }));
    case "refresh":
      return send({ type: "reply", id: message.id, failures: http.ownFailures() });
    case "stop":
      return stop.abort();
  }
});

try {
  const scenario = withDerived(await loadScenario(init.file, init.durationScale), init.derived);
  const pool = createDbPool(init.urls.pgbouncer, { ...scenario.client, poolSize: init.poolSize });
  const guard = new PoolGuard(pool, init.urls.pgbouncer);
  const redis = new Redis(init.urls.redis, REDIS_CLIENT);
  redis.on("error", () => {});
  try {
    await warmPool(pool, init.poolSize);
    send({ type: "ready" });
    const atHrMs = await Promise.race([
      started,
      new Promise<number>((r) => stop.signal.addEventListener("abort", () => r(Number.NaN))),
    ]);
    const startAtMs = performance.now() + (atHrMs - hrNowMs());
    const outcome = await runLoad(
      scenario.executors.map((e) => executorShare(e, init.segment)),
      scenario.ops,
      { pool, redis, cachePrefix: scenario.cachePrefix, http },
      {
        ...loadOptionsOf(scenario),
        // The abortOnFail budgets are judged in the main thread, on every worker's samples together.
        thresholds: [],
        signal: stop.signal,
        startAtMs: Number.isNaN(startAtMs) ? performance.now() : startAtMs,
        // Always kept: the main thread computes each second's p95 from the workers' histograms.
        keepSecondHistograms: true,
        onTick: (store, perSecond) => {
          const last: Record<string, LastSecond> = {};
          for (const [op, s] of perSecond.ops) {
            last[op] = {
              count: s.count.at(-1) ?? 0,
              errors: s.errors.at(-1) ?? 0,
              cacheHits: s.cacheHits.at(-1) ?? 0,
              cacheMisses: s.cacheMisses.at(-1) ?? 0,
              latency: s.latency?.at(-1) ?? "",
              poolWait: s.poolWait?.at(-1) ?? "",
            };
          }
          send({
            type: "tick",
            totals: totalsOf(store),
            last,
            failures: http.ownFailures(),
            ...(init.liveSeries && { series: storeToWire(store, false) }),
          });
        },
      },
    );
    send({
      type: "done",
      series: storeToWire(outcome.store),
      perSecond: Object.fromEntries(outcome.perSecond.ops),
      outcomes: outcome.outcomes,
      generator: outcome.generator,
      durationMs: outcome.durationMs,
      failures: http.ownFailures(),
    });
  } finally {
    redis.disconnect();
    // What is still in flight may finish first (a capacity step's next one runs on the same PgBouncer), but
    // not after a stop from the main thread during the load (a signal, another worker's failure).
    await guard.abandon(2_000, stop.signal.aborted ? 0 : init.drainMs);
    await http.close();
  }
} catch (error) {
  send({
    type: "failed",
    message: error instanceof Error ? error.message : String(error),
    ...(error instanceof BadInputError && { badInput: { source: "", problems: error.problems } }),
  });
} finally {
  port.close();
}

/** The file's scenario with the load the main thread derived from it (a capacity step), else as it is. */
function withDerived(scenario: LoadedScenario, derived: DerivedLoad | undefined): LoadedScenario {
  if (!derived) return scenario;
  const executors = derived.executors.map((spec) => {
    const made = createExecutor(spec.scenario, spec.options);
    if ("problems" in made) throw new Error(`the derived load's ${spec.scenario}: ${made.problems.join("; ")}`);
    return made;
  });
  return { ...scenario, ...derived, executors };
}
