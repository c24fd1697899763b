/**
 * `rehearse up`: start the stack, print its URLs, stay up until SIGINT or
 * SIGTERM, then tear down. A signal during start-up stops what already
 * started and exits 105 (the stack never came up).
 */
import { pino } from "pino";
import { redactUrls, type StartedStack, startStack } from "../../../containers/index.ts";
import { AbortedError, BadInputError } from "../../../core/errors.ts";
import { createLogger } from "../../../core/log.ts";
import { secretsOf } from "../../../core/redact.ts";
import type { Outcome } from "../exit-codes.ts";
import { parseCliArgs } from "../parse-args.ts";
import { logLevelHelp, readStackFlags, STACK_FLAGS_HELP, STACK_OPTIONS, stackRequest } from "../stack-flags.ts";
import { applyTestcontainersDefaults } from "../testcontainers-env.ts";
import { type World, writeLine } from "../world.ts";

const TEARDOWN_BUDGET_MS = 30_000;

export const UP_HELP = `Usage: rehearse up [options]

Starts Postgres, PgBouncer and Redis, prints their URLs, and stays up until
SIGINT/SIGTERM (Ctrl-C), then tears everything down.

Options:
  --json                   print one JSON line: {"provider","postgres","pgbouncer","redis",...}
${STACK_FLAGS_HELP}
${logLevelHelp("default warn")}`;

export async function upCommand(args: string[], world: World): Promise<Outcome> {
  const { values } = parseOrThrow(args);
  const problems: string[] = [];
  const flags = readStackFlags(values, world.env, problems);
  if (problems.length > 0) throw new BadInputError("invalid options", problems);
  if (flags.settings.containers.network === "host") applyTestcontainersDefaults(world.env);

  let secrets: string[] = [];
  const log = createLogger(flags.logLevel, pino.destination({ fd: 2, sync: true }), () => secrets);
  const controller = new AbortController();
  let stopRequested: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  const unsubscribe = world.onSignal((signal) => {
    if (controller.signal.aborted) return;
    log.info({ signal }, "stopping");
    controller.abort();
    stopRequested();
  });

  let stack: StartedStack | undefined;
  try {
    const started = performance.now();
    log.info({ provider: flags.provider }, "starting stack");
    stack = await startStack(stackRequest(flags, flags.settings, world, controller.signal));
    secrets = secretsOf([stack.urls.postgres, stack.urls.pgbouncer, stack.urls.redis]);
    const seconds = (performance.now() - started) / 1000;
    log.info({ id: stack.id, provider: stack.provider, seconds }, "stack ready");
    printStack(world, stack, values.json === true, seconds);
    // Containers hold no handle in this process: without this timer Node would exit here.
    const keepAlive = setInterval(() => {}, 60_000);
    await stopped.finally(() => clearInterval(keepAlive));
    return "ok";
  } catch (error) {
    if (error instanceof AbortedError) {
      writeLine(world.stderr, "rehearse up: stopped by signal during start-up; everything started was removed");
      return "aborted";
    }
    throw error;
  } finally {
    unsubscribe();
    if (stack) await teardownWithin(stack, TEARDOWN_BUDGET_MS, world);
  }
}

function parseOrThrow(args: string[]) {
  return parseCliArgs({ args, options: { ...STACK_OPTIONS, json: { type: "boolean" } }, strict: true });
}

/** Stacks rehearse created carry a throwaway password and print it (you need it to connect);
 * an external target's password is never printed. */
function printStack(world: World, stack: StartedStack, json: boolean, seconds: number): void {
  const urls = stack.provider === "external" ? redactUrls(stack.urls) : stack.urls;
  if (json) {
    const line = { provider: stack.provider, ...urls, id: stack.id, versions: stack.versions };
    writeLine(world.stdout, JSON.stringify(line));
    return;
  }
  writeLine(world.stdout, `rehearse: stack ${stack.id} up (${stack.provider}) in ${seconds.toFixed(1)} s`);
  writeLine(world.stdout, `  postgres        ${urls.postgres}   (PostgreSQL ${stack.versions.postgres})`);
  writeLine(world.stdout, `  pgbouncer       ${urls.pgbouncer}   (PgBouncer ${stack.versions.pgbouncer})`);
  writeLine(world.stdout, `  pgbouncer admin ${urls.pgbouncerAdmin}`);
  writeLine(world.stdout, `  redis           ${urls.redis}   (Redis ${stack.versions.redis})`);
  writeLine(world.stdout, "Press Ctrl-C to stop and remove the stack.");
}

async function teardownWithin(stack: StartedStack, budgetMs: number, world: World): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), budgetMs);
  });
  const outcome = await Promise.race([stack.teardown().then(() => "done" as const), timeout]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    writeLine(world.stderr, `rehearse: teardown took longer than ${budgetMs / 1000} s; run 'rehearse clean'`);
  }
}
