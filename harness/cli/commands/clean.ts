/** `rehearse clean`: remove what earlier runs left behind (after a SIGKILL, say). */
import { cleanLeftovers, Registry } from "../../../containers/index.ts";
import type { Outcome } from "../exit-codes.ts";
import { parseCliArgs } from "../parse-args.ts";
import { stateDirFrom } from "../stack-flags.ts";
import { applyTestcontainersDefaults } from "../testcontainers-env.ts";
import { type World, writeLine } from "../world.ts";

export const CLEAN_HELP = `Usage: rehearse clean [options]

Removes leftovers of rehearse processes that are no longer running: containers
and networks labelled rehearse.managed, native server process groups, and their
temp dirs. Stacks of running rehearse processes are left alone.

Options:
  --json                   print one JSON line: {"removed":[...]}
  --state-dir <dir>        where leftovers are registered          [$REHEARSE_STATE_DIR]
  --no-docker              do not look for containers`;

export async function cleanCommand(args: string[], world: World): Promise<Outcome> {
  const { values } = parseCliArgs({
    args,
    options: { json: { type: "boolean" }, "state-dir": { type: "string" }, "no-docker": { type: "boolean" } },
    strict: true,
  });
  // Listing and removing containers needs no bridge network, whatever the stack used.
  applyTestcontainersDefaults(world.env);
  const { removed, remaining } = await cleanLeftovers({
    registry: new Registry(stateDirFrom(values["state-dir"], world.env)),
    docker: values["no-docker"] !== true,
  });
  if (values.json) {
    writeLine(world.stdout, JSON.stringify({ removed, remaining }));
  } else if (removed.length === 0 && remaining.length === 0) {
    writeLine(world.stdout, "rehearse clean: nothing to clean");
  } else {
    for (const line of removed) writeLine(world.stdout, `rehearse clean: ${line}`);
    for (const line of remaining) writeLine(world.stderr, `rehearse clean: could not remove ${line}`);
  }
  // Something left that it could not remove: a failure the caller must see (exit 1).
  return remaining.length > 0 ? "internal" : "ok";
}
