/**
 * Staging cannot be harmed by a rehearsal it did not opt into. A stack stands in for staging, started by
 * `rehearse up --json` on each provider, its line the target file as it is. A scenario whose app block would
 * start the app against it and run setup that writes (a marker file, the shop's migration) is refused before
 * anything runs, every part named, nothing written; with the target's opt-ins it runs (on the first provider:
 * once the stack is up, which one started it makes no difference), and its first lines say what it changes.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryOnce } from "../../containers/probes.ts";
import { type RehearseProcess, readReport, runRehearse, startRehearse } from "../helpers/rehearse-process.ts";
import { newStateDir, providersUnderTest, testEnv } from "../helpers/stack.ts";

const SCENARIO = fileURLToPath(new URL("../fixtures/scenarios/staging-app.ts", import.meta.url));

describe.each(providersUnderTest())("a rehearsal against staging (the `up --json` line, %s)", (provider) => {
  const stateDir = newStateDir();
  const dir = mkdtempSync(join(tmpdir(), "rehearse-test-staging-"));
  const marker = join(dir, "setup-ran");
  let up: RehearseProcess;
  let line: Record<string, string>;
  const target = (extra: Record<string, unknown>) => {
    const file = join(dir, `target-${Object.keys(extra).join("-") || "plain"}.json`);
    writeFileSync(file, JSON.stringify({ ...line, ...extra }));
    return file;
  };
  const tables = async () =>
    (
      await queryOnce(line.postgres as string, "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")
    )[0];
  const env = () => ({ ...testEnv(newStateDir()), STAGING_MARKER: marker });

  beforeAll(async () => {
    up = startRehearse(["up", "--provider", provider, "--json"], testEnv(stateDir));
    line = JSON.parse(await up.firstLine(120_000)) as Record<string, string>;
  }, 150_000);

  afterAll(async () => {
    up?.child.kill("SIGTERM");
    await up?.exited;
  });

  it("an app block whose setup writes is refused, exit 2, naming each part; nothing ran, nothing changed", async () => {
    const before = await tables();
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const run = await runRehearse(["run", SCENARIO, "--target", target({}), "--out", out], env(), 60_000);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`app: the scenario would start its app ('npm start') here`);
    expect(run.stderr).toContain(`"allowApp": true`);
    expect(run.stderr).toMatch(/app\.setup\[0\]: 'node -e .*' would run against/);
    expect(run.stderr).toContain(`app.setup[1]: 'npm run migrate' would run against`);
    expect(run.stderr).toContain(`"allowSetup": true`);
    expect(existsSync(marker)).toBe(false);
    expect(await tables()).toEqual(before);
    expect(await queryOnce(line.postgres as string, "SELECT to_regclass('public.products') AS t")).toEqual([
      { t: null },
    ]);
    // Allowing the app alone still refuses its setup.
    const appOnly = await runRehearse(["run", SCENARIO, "--target", target({ allowApp: true })], env(), 60_000);
    expect(appOnly.code).toBe(2);
    expect(appOnly.stderr).not.toContain("app: the scenario would start");
    expect(appOnly.stderr).toContain("app.setup[1]: 'npm run migrate' would run against");
    expect(existsSync(marker)).toBe(false);
  }, 150_000);

  // Once the stack is up, running on it is the same whichever provider started it: on the first one only.
  if (provider !== providersUnderTest()[0]) return;

  it("with allowApp and allowSetup it runs, and its first lines say what it changes there", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const file = target({ allowApp: true, allowSetup: true });
    const run = await runRehearse(["run", SCENARIO, "--target", file, "--out", out, "--no-progress"], env(), 120_000);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const lines = run.stdout.split("\n");
    const head = lines.findIndex((l) => l.includes("on the external target") && l.endsWith("this run will:"));
    expect(head, run.stdout).toBeGreaterThanOrEqual(0);
    expect(lines.slice(head + 1, head + 6)).toEqual([
      "  - the app: start 'npm start' here (1 instance(s)) against it, allowed by allowApp",
      expect.stringMatching(/^ {2}- setup: run 'node -e .*' against it, allowed by allowSetup$/),
      "  - setup: run 'npm run migrate' against it, allowed by allowSetup",
      expect.stringMatching(/^ {2}- flush-cache at 3\.0 s/),
      "  and nothing else (besides its traffic and reading the servers' signals)",
    ]);
    // What it said it would do, it did: the setup ran there, and the app served from staging's tables.
    expect(existsSync(marker)).toBe(true);
    expect(await queryOnce(line.postgres as string, "SELECT count(*)::int AS n FROM products")).toEqual([{ n: 300 }]);
    const report = readReport(out, "staging-app");
    expect(report.provider).toBe("external");
    expect(report.ops.find((o) => o.op === "product" && o.phase === "baseline")?.statusCounts).toMatchObject({
      "200": expect.any(Number),
    });
  }, 150_000);
});
