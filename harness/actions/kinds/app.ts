/**
 * App-level chaos on the app under test: a deploy (`app-restart`, all at once
 * or rolling, optionally with a migration before the new instances start), a
 * worker burst (`app-scale`), and freeze/kill of its instances. Each records
 * per-instance stop and ready times, and the window with no ready instance.
 */
import type { AppFleet } from "../../app/app-fleet.ts";
import type { AppInstance } from "../../app/app-instance.ts";
import { type ActionContext, type ActionResult, actionKind, type Check } from "../types.ts";
import { type MigrationSpec, migrationOption, migrationSpec, runMigration } from "./migration.ts";
import { all, intOption, oneOf, onlyOptions } from "./options.ts";

const NOT_RUN_BY_US = "rehearse does not run a staging app's processes";

export const needsApp: Check = (_options, where, names) =>
  names.app ? [] : [`${where}: needs the scenario's app block (the app under test)`];

function fleetOf(context: ActionContext): AppFleet {
  if (!context.app) throw new Error("no app under test is running");
  return context.app;
}

const ms = (t: number | null) => (t === null ? null : Math.round(t));

/** The longest stretch, from `since`, in which no instance was ready to serve. */
function unavailableMs(before: AppInstance[], after: AppInstance[]): number {
  const lastStop = Math.max(0, ...before.map((i) => i.record.exitedAt ?? 0));
  const firstReady = Math.min(...after.map((i) => i.record.readyAt ?? Number.POSITIVE_INFINITY));
  return lastStop > 0 && Number.isFinite(firstReady) ? Math.max(0, Math.round(firstReady - lastStop)) : 0;
}

interface AppRestart {
  mode: "all" | "rolling";
  migration: MigrationSpec | undefined;
}

export const appRestart = actionKind<AppRestart>({
  needsDuration: false,
  validate: all(onlyOptions(["mode", "migration"]), oneOf("mode", ["all", "rolling"]), needsApp, migrationOption),
  parse: (options) => ({
    mode: options.mode === "rolling" ? "rolling" : "all",
    migration:
      options.migration === undefined ? undefined : migrationSpec(options.migration as Record<string, unknown>),
  }),
  onExternal: () => ({ unsupported: NOT_RUN_BY_US }),
  async run(context, { mode, migration }) {
    const app = fleetOf(context);
    const old = app.live;
    const t0 = performance.now();
    const result: ActionResult = { mode, instances: old.length };
    let started: AppInstance[] = [];
    // The release's migration first, while the old instances still serve (as deploy tools run it):
    // their queries queue behind its lock.
    if (migration) Object.assign(result, await runMigration(context.stack.urls.postgres, migration));
    if (mode === "all") {
      // Every old instance goes, then the new ones start together: each opens its pool to PgBouncer
      // and warms its caches at once; until one is ready, nothing serves.
      await app.stop(old);
      started = await app.start(old.length);
      result.unavailableMs = unavailableMs(old, started);
    } else {
      // One at a time: a new instance ready before an old one stops, so some instance always serves.
      for (const instance of old) {
        started.push(...(await app.start(1)));
        await app.stop([instance]);
      }
      result.unavailableMs = 0;
    }
    result.restartMs = Math.round(performance.now() - t0);
    result.newReadyMaxMs = ms(Math.max(...started.map((i) => (i.record.readyAt ?? t0) - t0)));
    return { result };
  },
});

export const appScale = actionKind<{ instances: number }>({
  needsDuration: true,
  validate: all(onlyOptions(["instances"]), intOption("instances", 1, 64, true), needsApp),
  parse: (options) => ({ instances: options.instances as number }),
  onExternal: () => ({ unsupported: NOT_RUN_BY_US }),
  async run(context, { instances }) {
    const app = fleetOf(context);
    const t0 = performance.now();
    // A worker burst: each new instance opens its own pool to PgBouncer.
    const added = await app.start(instances);
    return {
      result: { added: added.length, readyMaxMs: ms(Math.max(...added.map((i) => (i.record.readyAt ?? t0) - t0))) },
      revert: async () => {
        await app.stop(added);
        return { removed: added.length };
      },
    };
  },
});

/** Freeze (SIGSTOP) every instance of the app for the duration; the http client keeps sending. */
export async function freezeApp(context: ActionContext) {
  const frozen = fleetOf(context).live;
  for (const instance of frozen) instance.pause();
  return {
    result: { service: "app", instances: frozen.length } as ActionResult,
    revert: async () => {
      for (const instance of frozen) instance.resume();
      return undefined;
    },
  };
}

/** Kill (SIGKILL) every instance: a crash. Started again after the duration, as a supervisor would. */
export async function killApp(context: ActionContext) {
  const app = fleetOf(context);
  const killed = app.live;
  const t0 = performance.now();
  await Promise.all(killed.map((i) => i.kill()));
  app.route();
  return {
    result: { service: "app", instances: killed.length } as ActionResult,
    revert: async () => {
      await app.start(killed.length);
      return { downMs: Math.round(performance.now() - t0) };
    },
  };
}
