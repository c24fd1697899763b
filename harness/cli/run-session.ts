/**
 * What `run` and `capacity` set up once everything is validated: the out-dir
 * lock, the log (to <out>/rehearse.log, or stderr with --log-level) with an
 * external target's passwords scrubbed, and a signal that stops the work.
 */
import { join } from "node:path";
import { pino } from "pino";
import { createLogger } from "../../core/log.ts";
import { secretsOf } from "../../core/redact.ts";
import { lockOutDir } from "./out-lock.ts";
import type { StackFlags } from "./stack-flags.ts";
import { type World, writeLine } from "./world.ts";

export interface RunSession {
  out: string;
  log: ReturnType<typeof createLogger>;
  signal: AbortSignal;
  /** Releases the lock and the signal handlers. */
  close(): void;
}

export function openRunSession(input: {
  command: string;
  /** What the command does on a signal, for the line it prints. */
  onSignalSays: string;
  flags: StackFlags;
  out: string | undefined;
  logLevelGiven: boolean;
  world: World;
}): RunSession {
  const { flags, world } = input;
  // An external target's passwords are scrubbed from free-text logs; stacks rehearse makes use throwaway ones.
  const target = flags.target;
  const secrets = target ? secretsOf([target.postgres, target.pgbouncer, target.pgbouncerAdmin, target.redis]) : [];
  const out = input.out ?? "rehearse-out";
  // Everything is validated: from here on things are written, and only by this run.
  const unlock = lockOutDir(out);
  // Logs go to <out>/rehearse.log; --log-level sends them to stderr instead.
  const log = input.logLevelGiven
    ? createLogger(flags.logLevel, pino.destination({ fd: 2, sync: true }), () => secrets)
    : createLogger(
        "info",
        pino.destination({ dest: join(out, "rehearse.log"), mkdir: true, sync: true }),
        () => secrets,
      );
  const controller = new AbortController();
  const unsubscribe = world.onSignal((signal) => {
    if (controller.signal.aborted) return;
    log.info({ signal }, "stopping");
    writeLine(world.stderr, `rehearse ${input.command}: ${signal}: stopping, ${input.onSignalSays}, tearing down`);
    controller.abort();
  });
  return {
    out,
    log,
    signal: controller.signal,
    close: () => {
      unsubscribe();
      unlock();
    },
  };
}
