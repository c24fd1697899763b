/** Service faults on any of the three services: restart, freeze (SIGSTOP / docker pause), kill (SIGKILL);
 * freeze and kill also take the app under test (`service: "app"`; a deploy is `app-restart`). */
import { z } from "zod";
import type { ServiceName } from "../../../containers/types.ts";
import { actionKind, NOT_OURS, type ScenarioNames } from "../types.ts";
import { freezeApp, killApp } from "./app.ts";
import { serviceOption } from "./options.ts";

const serviceOnly = (names: ScenarioNames) => z.strictObject({ service: serviceOption(names) });
const notOurs = () => ({ unsupported: NOT_OURS });

export const restart = actionKind<"restart", { service: ServiceName }>({
  needsDuration: false,
  options: (names) => z.strictObject({ service: serviceOption(names, "not-here") as z.ZodType<ServiceName> }),
  onExternal: notOurs,
  async run({ stack }, { service }) {
    const t0 = performance.now();
    await stack.restart(service);
    return { result: { service, downMs: Math.round(performance.now() - t0) } };
  },
});

export const freeze = actionKind<"freeze", { service: ServiceName | "app" }>({
  needsDuration: true,
  options: serviceOnly,
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
export const kill = actionKind<"kill", { service: ServiceName | "app" }>({
  needsDuration: false,
  options: serviceOnly,
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
