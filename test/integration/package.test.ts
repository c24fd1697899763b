/**
 * rehearse as a team installs it: `npm pack`, the tarball installed into a
 * fresh project (a real install: Node will not strip types under
 * node_modules, so this is the only honest check that the build runs), a
 * scenario there that imports "rehearse", `npx rehearse run` on the native
 * provider, `npx rehearse init` and the scenario it wrote against the example
 * app; the tarball's contents; the bin on the machine's Node 20.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunReport } from "../../reports/schema.ts";
import { newStateDir, testEnv } from "../helpers/stack.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const NODE_20 = "/usr/bin/node";
const env = { ...testEnv(newStateDir()), CI: "true" };
const project = mkdtempSync(join(tmpdir(), "rehearse-team-app-"));
let packed: { filename: string; files: { path: string }[] };

const npx = (args: string[], timeout = 90_000) =>
  execa("npx", ["--no-install", "rehearse", ...args], { cwd: project, env, reject: false, timeout, all: true });
const reportOf = (out: string, name: string) =>
  JSON.parse(readFileSync(join(project, out, name, "report.json"), "utf8")) as RunReport;

const SCENARIO = `import { defineScenario, type Op } from "rehearse";

const select: Op = ({ db }) => db.query("SELECT 1");

export default defineScenario({
  workload: { ops: { select } },
  scenarios: { reads: { executor: "constant-arrival-rate", rate: 50, duration: "2s", exec: "select", preAllocatedVUs: 5, maxVUs: 100 } },
  thresholds: { "latency{op:select}": ["p(95)<500"], errors: ["rate<0.01"] },
});
`;

/** Dependencies' install scripts are not run: rehearse has none of its own, and the one a dependency has
 * (ssh2's optional cpu-features, a native build) took a core for 20 s beside the scenario tests, making
 * their generators late. What is tested is rehearse's package, not a C++ compiler. */
const INSTALL_FLAGS = ["--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts"];

beforeAll(async () => {
  // prepack builds dist/ first (tsc -p tsconfig.build.json).
  const pack = await execa("npm", ["pack", "--json", "--pack-destination", project], {
    cwd: REPO,
    env,
    timeout: 120_000,
  });
  packed = JSON.parse(pack.stdout)[0];
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "team-app", private: true, type: "module" }));
  await execa("npm", ["install", ...INSTALL_FLAGS, join(project, packed.filename)], {
    cwd: project,
    env,
    timeout: 180_000,
  });
  writeFileSync(join(project, "scenario.ts"), SCENARIO);
}, 300_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("the npm package, installed from its tarball", () => {
  it("ships the build, its declarations and the bin; no test, bench, fixture, scenario or source file", () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(["bin/rehearse.js", "dist/index.js", "dist/index.d.ts", "package.json"]),
    );
    expect(paths.filter((p) => /^(test|bench|scenarios|examples|\.ci)\/|fixture/.test(p))).toEqual([]);
    expect(paths.filter((p) => p.endsWith(".ts") && !p.endsWith(".d.ts"))).toEqual([]);
  });

  it('a scenario importing "rehearse" typechecks against the shipped declarations', async () => {
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2024",
          strict: true,
          noEmit: true,
          types: [],
        },
        include: ["scenario.ts"],
      }),
    );
    const tsc = await execa("node", [join(REPO, "node_modules/typescript/bin/tsc"), "-p", "."], {
      cwd: project,
      reject: false,
      all: true,
    });
    expect(tsc.all).toBe("");
    expect(tsc.exitCode).toBe(0);
  }, 60_000);

  it("npx rehearse run: exit 0 and a report, on the native provider", async () => {
    const run = await npx(["run", "scenario.ts", "--provider", "native", "--out", "out"]);
    expect(run.exitCode, run.all).toBe(0);
    const report = reportOf("out", "scenario");
    expect(report.status).toBe("passed");
    expect(report.provider).toBe("native");
    expect(report.ops.find((o) => o.op === "select")?.count).toBe(100);
  }, 120_000);

  it("npx rehearse init, then the scenario it wrote, against the example app", async () => {
    cpSync(join(REPO, "examples/dashboard-app"), join(project, "app"), { recursive: true });
    const init = await npx([
      "init",
      "--app-command",
      "node server.js",
      "--app-cwd",
      "app",
      "--setup",
      "node migrate.js",
      "--ready",
      "/health",
    ]);
    expect(init.exitCode, init.all).toBe(0);
    expect(init.stdout).toContain("wrote   rehearse/cold-cache.ts");
    expect(existsSync(join(project, ".github/workflows/rehearse-nightly.yml"))).toBe(true);
    const run = await npx([
      "run",
      "rehearse/cold-cache.ts",
      "--provider",
      "native",
      "--duration-scale",
      "0.2",
      "--out",
      "rehearse-out",
    ]);
    expect(run.exitCode, run.all).toBe(0);
    const report = reportOf("rehearse-out", "cold-cache");
    expect(report.app?.instances[0]?.readyMs).toEqual(expect.any(Number));
    expect(report.ops.find((o) => o.op === "page" && o.phase === "baseline")?.statusCounts?.["200"]).toBeGreaterThan(0);
    expect(report.actions.find((a) => a.name === "flush-cache")?.result.scope).toBe("all");
    // The nightly job's compare step on a first night: no accepted baseline yet, not a failure.
    const compare = await npx(["compare", "rehearse/baselines", "rehearse-out"]);
    expect(compare.exitCode, compare.all).toBe(0);
    expect(compare.stdout).toContain("cold-cache: no accepted baseline");
  }, 180_000);

  it("on Node 20: exit 2 at once, with one line naming the version needed", async () => {
    const old = await execa(NODE_20, [join(project, "node_modules/rehearse/bin/rehearse.js"), "run", "scenario.ts"], {
      cwd: project,
      reject: false,
    });
    expect((await execa(NODE_20, ["--version"])).stdout).toMatch(/^v20\./);
    expect(old.exitCode).toBe(2);
    expect(old.stdout).toBe("");
    expect(old.stderr.trim().split("\n")).toHaveLength(1);
    expect(old.stderr).toMatch(/^rehearse needs Node\.js >= 22\.18 \(this is v20\.\d+\.\d+\); install Node 22/);
  });
});

describe("the first run on a new machine: auto checks every image before it starts anything", () => {
  it("all three images there: testcontainers, and it says so", async () => {
    const run = await npx(["run", "scenario.ts", "--out", "auto-tc"]);
    expect(run.exitCode, run.all).toBe(0);
    expect(run.stderr).toContain(
      "provider auto: testcontainers (a Docker engine answered and all three images are available)",
    );
    expect(reportOf("auto-tc", "scenario").provider).toBe("testcontainers");
  }, 120_000);

  it("an image that cannot be had: native servers, with the reason in one line", async () => {
    const missing = "rehearse-missing/postgres:0";
    const run = await npx(["run", "scenario.ts", "--out", "auto-native", "--postgres-image", missing]);
    expect(run.exitCode, run.all).toBe(0);
    const lines = run.stderr.split("\n").filter((l) => l.includes("provider auto"));
    expect(lines).toEqual([
      `rehearse: provider auto: native servers, because ${missing} (postgres) cannot be had from Docker`,
    ]);
    expect(reportOf("auto-native", "scenario").provider).toBe("native");
  }, 120_000);
});

describe("a CommonJS repository made by `npm init -y`, nothing else in it", () => {
  const repo = mkdtempSync(join(tmpdir(), "rehearse-cjs-repo-"));
  const inRepo = (args: string[]) =>
    execa("npx", ["--no-install", "rehearse", ...args], { cwd: repo, env, reject: false, timeout: 90_000, all: true });

  beforeAll(async () => {
    await execa("npm", ["init", "-y"], { cwd: repo, env });
    await execa("npm", ["install", ...INSTALL_FLAGS, join(project, packed.filename)], {
      cwd: repo,
      env,
      timeout: 180_000,
    });
  }, 240_000);

  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it("npx rehearse init, then the scenario it wrote runs; a TypeScript helper with an enum loads beside it", async () => {
    expect(JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).type).toBe("commonjs");
    const init = await inRepo(["init", "--kind", "ops"]);
    expect(init.exitCode, init.all).toBe(0);
    const run = await inRepo(["run", "rehearse/cold-cache.ts", "--provider", "native", "--duration-scale", "0.2"]);
    expect(run.exitCode, run.all).toBe(0);
    expect(run.all).not.toMatch(/Cannot use import statement|cannot be loaded/);
    expect(JSON.parse(readFileSync(join(repo, "rehearse-out/cold-cache/report.json"), "utf8")).status).toBe("passed");
    // The team's own helper: an enum and a parameter property, which Node's type stripping refuses.
    writeFileSync(
      join(repo, "rehearse/paths.ts"),
      'export enum Key { Select = "select" }\nexport class Rate { constructor(readonly perSecond: number) {} }\n',
    );
    writeFileSync(
      join(repo, "rehearse/helper.ts"),
      `import { defineScenario } from "rehearse";
import { Key, Rate } from "./paths";

const rate = new Rate(20);
export default defineScenario({
  workload: { ops: { [Key.Select]: ({ db }) => db.query("SELECT 1") } },
  scenarios: { reads: { executor: "constant-arrival-rate", rate: rate.perSecond, duration: "2s", exec: Key.Select, preAllocatedVUs: 2, maxVUs: 50 } },
});
`,
    );
    const helper = await inRepo(["run", "rehearse/helper.ts", "--provider", "native"]);
    expect(helper.exitCode, helper.all).toBe(0);
    expect(JSON.parse(readFileSync(join(repo, "rehearse-out/helper/report.json"), "utf8")).ops[0].count).toBe(40);
  }, 180_000);
});
