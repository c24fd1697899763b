/** Service faults on any of the three services: restart, freeze (SIGSTOP / docker pause), kill (SIGKILL). */
import type { ServiceName } from "../../../containers/types.ts";
import type { ActionKind } from "../types.ts";
import { all, onlyOptions, serviceOption } from "./options.ts";

const serviceOnly = all(onlyOptions(["service"]), serviceOption);

export const restart: ActionKind = {
  needsDuration: false,
  validate: serviceOnly,
  async run({ stack }, options) {
    const t0 = performance.now();
    await stack.restart(options.service as ServiceName);
    return { result: { service: String(options.service), downMs: Math.round(performance.now() - t0) } };
  },
};

export const freeze: ActionKind = {
  needsDuration: true,
  validate: serviceOnly,
  async run({ stack }, options) {
    const service = options.service as ServiceName;
    await stack.pause(service);
    return {
      result: { service },
      revert: async () => {
        await stack.unpause(service);
        return undefined;
      },
    };
  },
};

/**
 * A crash: SIGKILL, no shutdown. The service stays down for the duration (or is started again
 * at once, as a supervisor would), then waits until it answers; Postgres runs crash recovery.
 */
export const kill: ActionKind = {
  needsDuration: false,
  validate: serviceOnly,
  async run({ stack }, options) {
    const service = options.service as ServiceName;
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
};
