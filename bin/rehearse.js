#!/usr/bin/env node
// Node >= 22.18 runs the TypeScript sources directly (type stripping).
import { main } from "../harness/cli/main.ts";
import { processWorld } from "../harness/cli/world.ts";

process.exitCode = await main(process.argv.slice(2), processWorld());
