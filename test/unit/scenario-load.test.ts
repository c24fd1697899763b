import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../../harness/cli/main.ts";
import { captureWorld } from "../helpers/capture-world.ts";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/scenarios/${name}`, import.meta.url));
const stateDir = join(mkdtempSync(join(tmpdir(), "rehearse-unit-run-")), "state");

async function run(...argv: string[]) {
  const world = captureWorld({ PATH: process.env.PATH, REHEARSE_STATE_DIR: stateDir });
  const code = await main(["run", ...argv, "--provider", "native"], world);
  return { code, err: world.err() };
}

describe("rehearse run: bad scenarios are exit 2, with the file and every field, before anything starts", () => {
  it("reports every problem of a broken scenario", async () => {
    const { code, err } = await run(fixture("broken.ts"));
    expect(code).toBe(2);
    expect(err).toContain(`scenario ${fixture("broken.ts")}`);
    for (const problem of [
      "seed.scale: must be a whole number ≥ 0",
      "scenarios.steady.duration: 'soon' is not a duration",
      "scenarios.other.exec: no op named 'missing'",
      "thresholds['latency{op:checkout}']: no op named 'checkout'",
      "thresholds['pool_wait'][0]: 'p95 < 10' is not an expression",
    ]) {
      expect(err).toContain(problem);
    }
    expect(existsSync(stateDir)).toBe(false);
  });

  it("names a file that does not exist, or does not compile", async () => {
    const missing = await run(fixture("nope.ts"));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("file does not exist");
    // Written here, not kept in the tree, where it would break the typecheck and the linter.
    const notTypeScript = join(mkdtempSync(join(tmpdir(), "rehearse-unit-run-")), "does-not-compile.ts");
    writeFileSync(notTypeScript, "export default {\n  this is not typescript\n");
    const broken = await run(notTypeScript);
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/does-not-compile\.ts:\n\s+- cannot be loaded/);
  });

  it("rejects a bad --duration-scale and a missing scenario argument", async () => {
    const { code, err } = await run("--duration-scale=0");
    expect(code).toBe(2);
    expect(err).toContain("--duration-scale: '0' is not a positive number");
    expect(err).toContain("a scenario file is required");
  });
});
