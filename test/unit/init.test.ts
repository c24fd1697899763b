/**
 * `rehearse init`: what it writes, that it never overwrites, bad flags, and
 * the nightly workflow: valid YAML whose run steps are the commands the
 * README documents (GitHub Actions cannot run here; this is how it is held).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { main } from "../../harness/cli/main.ts";
import { nightlyCommands } from "../../harness/init/repo-templates.ts";
import { captureWorld } from "../helpers/capture-world.ts";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

async function init(root: string, ...args: string[]) {
  const world = captureWorld({});
  const code = await main(["init", "--root", root, ...args], world);
  return { code, out: world.out(), err: world.err() };
}

const FILES = [
  "rehearse/cold-cache.ts",
  "rehearse/staging.target.json",
  "rehearse/baselines/.gitkeep",
  "rehearse/README.md",
  ".github/workflows/rehearse-nightly.yml",
];

describe("rehearse init", () => {
  it("writes the scenario, the target template, the baselines dir, a README and the workflow, and says so", async () => {
    const root = mkdtempSync(join(tmpdir(), "rehearse-init-"));
    const { code, out } = await init(
      root,
      "--app-command",
      "node server.js",
      "--setup",
      "node migrate.js",
      "--ready",
      "/health",
      "--env",
      "PG_CONNECTION_STRING={pgbouncer}",
      "--env",
      "CACHE_URL={redis}",
      "--port-env",
      "APP_PORT",
    );
    expect(code).toBe(0);
    for (const file of FILES) {
      expect(existsSync(join(root, file)), file).toBe(true);
      expect(out).toContain(`wrote   ${file}`);
    }
    const scenario = readFileSync(join(root, "rehearse/cold-cache.ts"), "utf8");
    expect(scenario).toContain('import { defineScenario } from "rehearse";');
    expect(scenario).toContain('command: "node server.js"');
    expect(scenario).toContain('setup: ["node migrate.js"]');
    expect(scenario).toContain('cwd: ".."');
    expect(scenario).toContain(
      'env: { "PG_CONNECTION_STRING": "{pgbouncer}", "CACHE_URL": "{redis}", "APP_PORT": "{port}" },',
    );
    // Budgets that mean what they say: per op.
    expect(scenario).toContain('"latency{op:page,phase:fault}": ["p(95)<1000"]');
    const target = JSON.parse(readFileSync(join(root, "rehearse/staging.target.json"), "utf8"));
    // Loopback by default, secrets as ${VAR} references.
    expect(target.allowHosts).toEqual([]);
    expect(target.pgbouncer).toMatch(/^postgres:\/\/rehearse:\$\{STAGING_PG_PASSWORD\}@127\.0\.0\.1:/);
  });

  it("never overwrites a file: an existing one is kept and named", async () => {
    const root = mkdtempSync(join(tmpdir(), "rehearse-init-"));
    await init(root);
    writeFileSync(join(root, "rehearse/cold-cache.ts"), "// mine\n");
    const { code, out } = await init(root, "--kind", "ops");
    expect(code).toBe(0);
    expect(readFileSync(join(root, "rehearse/cold-cache.ts"), "utf8")).toBe("// mine\n");
    expect(out).toContain("kept    rehearse/cold-cache.ts (already there)");
  });

  it("--kind ops writes db/cache ops with a seed, no app", async () => {
    const root = mkdtempSync(join(tmpdir(), "rehearse-init-"));
    await init(root, "--kind", "ops", "--name", "items");
    const scenario = readFileSync(join(root, "rehearse/items.ts"), "utf8");
    expect(scenario).toContain("seed: async ({ db })");
    expect(scenario).not.toContain("app: {");
  });

  it.each([
    [["--kind", "web"], "--kind: 'web' is not one of app, ops"],
    [["--name", "Cold Cache"], "--name: 'Cold Cache'"],
    [["--dir", "../elsewhere"], "--dir: '../elsewhere' must be a path inside the repository"],
    [["--ready", "health"], "--ready: 'health' must be a path starting with /"],
    [["--kind", "ops", "--app-command", "npm start"], "--app-command: only with --kind app"],
    [["--force"], "unknown option '--force'"],
    [["--env", "PG_URL"], "--env: 'PG_URL' must be NAME=value"],
    [
      ["--env", "PG_URL={database}"],
      "--env: 'PG_URL={database}': {database} is not one of {pgbouncer}, {postgres}, {redis}, {port}",
    ],
    [["--port-env", "app-port"], "--port-env: 'app-port' is not a variable name"],
  ])("bad flags %j: exit 2, the flag named, nothing written", async (args, says) => {
    const root = mkdtempSync(join(tmpdir(), "rehearse-init-"));
    const { code, err } = await init(root, ...args);
    expect(code).toBe(2);
    expect(err).toContain(says);
    expect(existsSync(join(root, "rehearse"))).toBe(false);
  });
});

describe("the nightly workflow", () => {
  const root = mkdtempSync(join(tmpdir(), "rehearse-init-"));
  const written = init(root).then(() =>
    parse(readFileSync(join(root, ".github/workflows/rehearse-nightly.yml"), "utf8")),
  );

  it("is valid YAML with a schedule and one job", async () => {
    const workflow = await written;
    expect(workflow.on.schedule[0].cron).toMatch(/^\S+ \S+ \* \* \*$/);
    expect(Object.keys(workflow.jobs)).toEqual(["rehearse"]);
    expect(workflow.jobs.rehearse["runs-on"]).toBe("ubuntu-latest");
  });

  it("runs the README's commands, in order, and keeps the reports whatever happened", async () => {
    const steps = (await written).jobs.rehearse.steps as { run?: string; uses?: string; if?: string }[];
    const runs = steps.flatMap((s) => (s.run ? [s.run] : []));
    expect(runs).toEqual(Object.values(nightlyCommands("rehearse")));
    for (const command of runs) expect(README, `README documents: ${command}`).toContain(command);
    const upload = steps.find((s) => s.uses?.startsWith("actions/upload-artifact"));
    expect(upload?.if).toContain("!cancelled()");
  });
});
