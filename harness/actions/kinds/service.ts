/** Service faults on any of the three services: restart, freeze (SIGSTOP / docker pause), kill (SIGKILL);
 * freeze and kill also take the app under test (`service: "app"`; a deploy is `app-restart`). */
import type { ServiceName } from "../../../containers/types.ts";
import { actionKind, NOT_OURS } from "../types.ts";
import { freezeApp, killApp } from "./app.ts";
import { all, onlyOptions, serviceOption } from "./options.ts";

const serviceOnly = all(onlyOptions(["service"]), serviceOption);
const stackServiceOnly = all(serviceOnly, (options, where) =>
  options.service === "app" ? [`${where}.service: to restart the app, use the app-restart action (a deploy)`] : [],
);
const parseService = (options: Record<string, unknown>) => ({ service: options.service as ServiceName | "app" });
const parseStackService = (options: Record<string, unknown>) => ({ service: options.service as ServiceName });
const notOurs = () => ({ unsupported: NOT_OURS });

export const restart = actionKind({
  needsDuration: false,
  validate: stackServiceOnly,
  parse: parseStackService,
  onExternal: notOurs,
  async run({ stack }, { service }) {
    const t0 = performance.now();
    await stack.restart(service);
    return { result: { service, downMs: Math.round(performance.now() - t0) } };
  },
});

export const freeze = actionKind({
  needsDuration: true,
  validate: serviceOnly,
  parse: parseService,
  onExternal: notOurs,
  async run(context, { service }) {
    if (service === "app") return freezeApp(context);
    const { stack } = context;
    await stack.pause(service);
    return {
      result: { service },
      revert: async () => {
        await stack.unpause(service);
        return undefined;
      },
    };
  },
});

/**
 * A crash: SIGKILL, no shutdown. The service stays down for the duration (or is started again
 * at once, as a supervisor would), then waits until it answers; Postgres runs crash recovery.
 */
export const kill = actionKind({
  needsDuration: false,
  validate: serviceOnly,
  parse: parseService,
  onExternal: notOurs,
  async run(context, { service }) {
    if (service === "app") return killApp(context);
    const { stack } = context;
    const t0 = performance.now();
    await stack.kill(service);
    return {
      result: { service },
      revert: async () => {
        await stack.start(service);
        return { downMs: Math.round(performance.now() - t0) };
      },
    };
  },
});
