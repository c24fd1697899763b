import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../harness/cli/main.ts";
import { captureWorld } from "../helpers/capture-world.ts";

const dir = mkdtempSync(join(tmpdir(), "rehearse-unit-cli-"));
const stateDir = join(dir, "state");

async function run(...argv: string[]) {
  const world = captureWorld({ PATH: process.env.PATH, REHEARSE_STATE_DIR: stateDir });
  const code = await main(argv, world);
  return { code, out: world.out(), err: world.err() };
}

describe("rehearse CLI, bad input (exit 2, nothing started)", () => {
  it("rejects an unknown command", async () => {
    const { code, err } = await run("launch");
    expect(code).toBe(2);
    expect(err).toContain("unknown command 'launch'");
  });

  it("rejects an unknown flag, naming it", async () => {
    const { code, err } = await run("up", "--providr", "native");
    expect(code).toBe(2);
    expect(err).toContain("'--providr'");
  });

  it("rejects bad values, naming each flag", async () => {
    const { code, err } = await run("up", "--provider", "k8s", "--pool-size", "x");
    expect(code).toBe(2);
    expect(err).toMatch(/--provider: 'k8s'/);
    expect(err).toMatch(/--pool-size: 'x'/);
  });

  it("rejects a bad target file, naming file and field, before anything starts", async () => {
    const file = join(dir, "target.json");
    writeFileSync(
      file,
      JSON.stringify({ postgres: "postgres://u:pw@10.1.2.3/db", pgbouncer: "x", redis: "redis://127.0.0.1" }),
    );
    const { code, err } = await run("up", "--target", file);
    expect(code).toBe(2);
    expect(err).toContain(`target file ${file}`);
    expect(err).toContain("postgres: host 10.1.2.3 is not on loopback");
    expect(err).toContain("pgbouncer: must be a postgres:// URL");
    expect(err).not.toContain("pw@");
    // Nothing was registered, so nothing was started.
    expect(existsSync(stateDir)).toBe(false);
  });

  it("requires a target file for the external provider", async () => {
    const { code, err } = await run("up", "--provider", "external");
    expect(code).toBe(2);
    expect(err).toContain("needs --target");
  });
});

describe("rehearse CLI, help", () => {
  it("prints usage with the exit codes", async () => {
    const { code, out } = await run("--help");
    expect(code).toBe(0);
    expect(out).toContain("105 stopped by signal");
  });

  it("prints a command's flags", async () => {
    const { code, out } = await run("help", "up");
    expect(code).toBe(0);
    expect(out).toContain("--provider <name>");
  });
});

describe("rehearse compare of directories: nothing compared is never a pass", () => {
  it("a baselined scenario with no run in the runs directory fails (exit 99), saying so", async () => {
    const { sampleReport } = await import("../fixtures/reports/sample-report.ts");
    const baselines = mkdtempSync(join(dir, "baselines-"));
    const runs = mkdtempSync(join(dir, "runs-"));
    writeFileSync(join(baselines, "sample.json"), JSON.stringify(sampleReport()));
    writeFileSync(join(baselines, "gone.json"), JSON.stringify({ ...sampleReport(), scenario: "gone" }));
    writeFileSync(join(runs, "report.json"), JSON.stringify({ ...sampleReport(), startedAt: "2026-12-01T00:00:00Z" }));
    const { code, out } = await run("compare", baselines, runs);
    expect(code).toBe(99);
    expect(out).toContain("gone: baselined in");
    expect(out).toContain("nothing was compared for it (FAILED)");
    expect(out).toMatch(/sample: 0 regression\(s\), 0 improvement\(s\)/);
  });
});
