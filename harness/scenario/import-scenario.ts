/**
 * Loading a scenario file in any repository: whatever its nearest package.json
 * says (CommonJS, ESM, nothing), as .ts, .mts, .cts, .js or .mjs, importing the
 * team's own TypeScript helpers, including syntax Node's type stripping refuses
 * (enums, parameter properties). jiti (a well-kept loader, pure JavaScript, no
 * install script) transforms what needs it; `"rehearse"` resolves to the very
 * rehearse that is running, so a scenario never gets a second copy of it.
 */
import { fileURLToPath } from "node:url";
import { createJiti } from "jiti";

// The sources run as .ts in a working tree; the installed package runs its build, .js.
const FROM_SOURCES = import.meta.url.endsWith(".ts");
const ENTRY = fileURLToPath(new URL(FROM_SOURCES ? "../../index.ts" : "../../index.js", import.meta.url));

/** The module's exports (its default export under `default`). */
export async function importScenarioFile(path: string): Promise<{ default?: unknown }> {
  const jiti = createJiti(import.meta.url, {
    alias: { rehearse: ENTRY },
    // Nothing written into the team's repository (jiti's cache would go to node_modules/.cache).
    fsCache: false,
    // A file loaded twice (a second run of it in-process, a test) is read afresh.
    moduleCache: false,
    // A file without a default export must not get one made up from its named exports.
    interopDefault: false,
  });
  const loaded = (await jiti.import(path)) as { default?: unknown } | undefined;
  return loaded ?? {};
}
