/**
 * App-level chaos on the app under test: a deploy (`app-restart`), a worker
 * burst (`app-scale`), and freeze/kill of its instances. A deploy is rehearsed
 * as a Kubernetes Deployment behind a load balancer does it: `mode: "all"` is
 * the Recreate strategy (every old instance stopped, then the new ones
 * started), `"rolling"` the RollingUpdate strategy with maxSurge and
 * maxUnavailable; an instance leaves the rotation before it is stopped and
 * joins it only once ready. The optional migration runs first, while the old
 * instances serve (as deploy tools run it).
 */
import { z } from "zod";
import type { ActionResults, InstanceStop } from "../../../reports/schema.ts";
import type { AppFleet, FleetStop } from "../../app/app-fleet.ts";
import type { AppInstance } from "../../app/app-instance.ts";
import type { RunClock } from "../../run/run-clock.ts";
import { type ActionContext, type ActionRun, actionKind } from "../types.ts";
import { type MigrationSpec, runMigration } from "./migration.ts";
import { migrationSchema, needsApp, oneOf, wholeNumber } from "./options.ts";

const NOT_RUN_BY_US = "rehearse does not run a staging app's processes";
/** A deploy's steps wait on starts and stops, each bounded; this bounds their number too. */
const MAX_ROLLING_STEPS = 10_000;

function fleetOf(context: ActionContext): AppFleet {
  if (!context.app) throw new Error("no app under test is running");
  return context.app;
}

const ms = (t: number | null) => (t === null ? null : Math.round(t));

/** Kubernetes' maxSurge / maxUnavailable: a count, or a percentage of the instances ("25%"). */
const countOrPercent = z.union([
  wholeNumber(0, 64),
  z.string().regex(/^\d{1,3}%$/, { error: 'must be a whole number or a percentage such as "25%"' }),
]);

/** A percentage of `of`: surge rounds up, unavailable down (as Kubernetes resolves them). */
function resolveCount(value: number | string, of: number, round: "up" | "down"): number {
  if (typeof value === "number") return value;
  const exact = (Number.parseInt(value, 10) / 100) * of;
  return round === "up" ? Math.ceil(exact) : Math.floor(exact);
}

interface AppRestart {
  mode: "all" | "rolling";
  maxSurge: number | string;
  maxUnavailable: number | string;
  migration?: MigrationSpec | undefined;
}

export const appRestart = actionKind<"app-restart", AppRestart>({
  needsDuration: false,
  options: (names) =>
    needsApp(
      z
        .strictObject({
          mode: oneOf(["all", "rolling"]).default("all"),
          maxSurge: countOrPercent.optional(),
          maxUnavailable: countOrPercent.optional(),
          migration: migrationSchema().optional(),
        })
        .superRefine((o, ctx) => {
          if (o.mode === "all" && (o.maxSurge !== undefined || o.maxUnavailable !== undefined))
            ctx.addIssue({
              code: "custom",
              path: ["mode"],
              message: 'maxSurge and maxUnavailable take mode: "rolling"',
            });
          if (
            o.maxSurge !== undefined &&
            o.maxUnavailable !== undefined &&
            `${o.maxSurge}${o.maxUnavailable}`.match(/^0%?0%?$/)
          )
            ctx.addIssue({
              code: "custom",
              path: ["maxSurge"],
              message: "maxSurge and maxUnavailable cannot both be 0",
            });
        })
        .transform((o) => ({ ...o, maxSurge: o.maxSurge ?? "25%", maxUnavailable: o.maxUnavailable ?? "25%" })),
      names,
    ),
  onExternal: () => ({ unsupported: NOT_RUN_BY_US }),
  async run(context, options): Promise<ActionRun<ActionResults["app-restart"]>> {
    const app = fleetOf(context);
    const old = app.inRotation;
    const t0 = performance.now();
    await app.targets.refresh();
    const failedBefore = app.targets.failedTotal();
    const rotationFrom = app.rotationLog.length;
    // The release's migration first, while the old instances still serve: their queries queue behind its lock.
    const migrated = options.migration ? await runMigration(context.stack.urls.postgres, options.migration) : {};
    let started: AppInstance[] = [];
    let stops: FleetStop[] = [];
    let surge: number | undefined;
    let unavailable: number | undefined;
    if (options.mode === "all") {
      // Recreate: every old instance goes (out of rotation, drained, stopped), then the new ones start together,
      // each opening its pool to PgBouncer and warming its caches at once; until one is ready, nothing serves.
      stops = await app.stop(old);
      started = await app.start(old.length);
    } else {
      surge = resolveCount(options.maxSurge, old.length, "up");
      unavailable = resolveCount(options.maxUnavailable, old.length, "down");
      if (surge === 0 && unavailable === 0) surge = 1; // Kubernetes refuses both 0; a percentage may round to it
      ({ started, stops } = await rollingUpdate(app, old, surge, unavailable, context.signal));
    }
    await app.targets.refresh();
    const window = longestUnavailable(app, rotationFrom, t0, context.clock);
    const result: ActionResults["app-restart"] = {
      ...migrated,
      mode: options.mode,
      instances: old.length,
      ...(surge !== undefined && { maxSurge: surge }),
      ...(unavailable !== undefined && { maxUnavailable: unavailable }),
      ...window,
      restartMs: Math.round(performance.now() - t0),
      newReadyMaxMs: started.length > 0 ? ms(Math.max(...started.map((i) => (i.record.readyAt ?? t0) - t0))) : null,
      stops: stops.map((s) => instanceStop(app, s, context.clock)),
      failedRequests: app.targets.failedTotal() - failedBefore,
      failedOnStopping: stops.reduce((n, s) => n + s.failedRequests, 0),
    };
    return { result };
  },
});

/**
 * Kubernetes' RollingUpdate: new instances start while the total stays within `desired + surge`; old ones are
 * stopped while the ready ones in rotation stay at `desired - unavailable` or more; each step waits for a start
 * to be ready or a stop to finish.
 */
async function rollingUpdate(
  app: AppFleet,
  old: AppInstance[],
  surge: number,
  unavailable: number,
  signal: AbortSignal,
): Promise<{ started: AppInstance[]; stops: FleetStop[] }> {
  const desired = old.length;
  const oldLeft = [...old];
  const started: AppInstance[] = [];
  const stops: FleetStop[] = [];
  const pending = new Set<Promise<unknown>>();
  let failure: Error | undefined;
  const track = (work: Promise<unknown>) => {
    const tracked = work.catch((error: Error) => {
      failure ??= error;
    });
    pending.add(tracked);
    void tracked.finally(() => pending.delete(tracked));
  };
  const readyNew = () => started.filter((i) => app.inRotation.includes(i)).length;
  for (let step = 0; step < MAX_ROLLING_STEPS && !signal.aborted && !failure; step++) {
    if (oldLeft.length === 0 && started.length >= desired) break;
    const canStart = Math.min(desired - started.length, desired + surge - (oldLeft.length + started.length));
    if (canStart > 0) {
      const spawned = await app.spawn(canStart);
      started.push(...spawned);
      for (const instance of spawned) track(app.joinWhenReady(instance));
    }
    const canStop = Math.min(oldLeft.length, oldLeft.length + readyNew() - (desired - unavailable));
    if (canStop > 0) track(app.stop(oldLeft.splice(0, canStop)).then((done) => stops.push(...done)));
    if (canStart <= 0 && canStop <= 0) {
      if (pending.size === 0) break; // nothing left to wait for (cannot happen with surge or unavailable > 0)
      await Promise.race(pending);
    }
  }
  await Promise.all(pending);
  if (failure) throw new Error(`the rolling update stopped: ${failure.message}`);
  return { started, stops };
}

/** The longest stretch, since the deploy began, with no ready instance in rotation (report clock). */
function longestUnavailable(
  app: AppFleet,
  fromIndex: number,
  t0: number,
  clock: RunClock,
): Pick<ActionResults["app-restart"], "unavailableMs" | "unavailableFromMs" | "unavailableToMs"> {
  const changes = [...app.rotationLog.slice(Math.max(0, fromIndex - 1)), { at: performance.now(), inRotation: -1 }];
  let best = { from: 0, to: 0 };
  for (let i = 0; i < changes.length - 1; i++) {
    const c = changes[i] as { at: number; inRotation: number };
    if (c.inRotation !== 0) continue;
    const from = Math.max(c.at, t0);
    const to = (changes[i + 1] as { at: number }).at;
    if (to - from > best.to - best.from) best = { from, to };
  }
  if (best.to <= best.from) return { unavailableMs: 0 };
  const at = (t: number) => clock.elapsedAt(t);
  return {
    unavailableMs: Math.round(best.to - best.from),
    unavailableFromMs: at(best.from),
    unavailableToMs: at(best.to),
  };
}

function instanceStop(app: AppFleet, s: FleetStop, clock: RunClock): InstanceStop {
  const r = s.instance.record;
  return {
    instance: app.instances.indexOf(s.instance) + 1,
    port: r.port,
    drainedAtMs: clock.elapsedAt(s.drainedAt),
    drainMs: s.drainMs,
    signal: r.stop?.signal ?? app.spec.stopSignal,
    signalAtMs: clock.elapsedAt(r.stop?.signalAt ?? s.drainedAt),
    exitedAfterMs: r.stop?.exitedAfterMs ?? null,
    outcome: r.stop?.outcome ?? "graceful",
    exitCode: r.exitCode,
    exitSignal: r.signal,
    failedRequests: s.failedRequests,
  };
}

export const appScale = actionKind<"app-scale", { instances: number }>({
  needsDuration: true,
  options: (names) => needsApp(z.strictObject({ instances: wholeNumber(1, 64) }), names),
  onExternal: () => ({ unsupported: NOT_RUN_BY_US }),
  async run(context, { instances }) {
    const app = fleetOf(context);
    const t0 = performance.now();
    // A worker burst: each new instance opens its own pool to PgBouncer.
    const added = await app.start(instances);
    return {
      result: { added: added.length, readyMaxMs: ms(Math.max(...added.map((i) => (i.record.readyAt ?? t0) - t0))) },
      revert: async () => {
        const stops = await app.stop(added);
        return { removed: added.length, stops: stops.map((s) => instanceStop(app, s, context.clock)) };
      },
    };
  },
});

/** Freeze (SIGSTOP) every instance of the app for the duration; the http client keeps sending. */
export async function freezeApp(context: ActionContext): Promise<ActionRun<ActionResults["freeze"]>> {
  const frozen = fleetOf(context).live;
  for (const instance of frozen) instance.pause();
  return {
    result: { service: "app", instances: frozen.length },
    revert: async () => {
      for (const instance of frozen) instance.resume();
      return undefined;
    },
  };
}

/** Kill (SIGKILL) every instance: a crash. Started again after the duration, as a supervisor would. */
export async function killApp(context: ActionContext): Promise<ActionRun<ActionResults["kill"]>> {
  const app = fleetOf(context);
  const killed = app.live;
  const t0 = performance.now();
  await Promise.all(killed.map((i) => i.kill()));
  app.forget(killed);
  return {
    result: { service: "app", instances: killed.length },
    revert: async () => {
      await app.start(killed.length);
      return { downMs: Math.round(performance.now() - t0) };
    },
  };
}
