/** Runs every benchmark in bench/ one after another (they share the machine's 2 cores). */

import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const benches = readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "run-all.ts");
let failed = 0;
for (const bench of benches) {
  const result = spawnSync(process.execPath, [`${dir}${bench}`, ...process.argv.slice(2)], { stdio: "inherit" });
  if (result.status !== 0) failed++;
  console.log();
}
process.exitCode = failed === 0 ? 0 : 1;
