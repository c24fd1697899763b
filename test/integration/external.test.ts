/**
 * The external provider against a real stack standing in for staging (a
 * native stack started here): its password is read from the environment and
 * never printed, chaos is refused, and `up` leaves the target running.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  loadTargetFile,
  Registry,
  resolveStackSettings,
  type StartedStack,
  startStack,
} from "../../containers/index.ts";
import { queryOnce } from "../../containers/probes.ts";
import { StackStartError, UnsupportedOperationError } from "../../core/errors.ts";
import { runRehearse, startRehearse } from "../helpers/rehearse-process.ts";
import { newStateDir, providersUnderTest, startTestStack, testEnv } from "../helpers/stack.ts";

describe("external provider against a real stack", () => {
  const stateDir = newStateDir();
  let staging: StartedStack;
  let password: string;
  let targetFile: string;

  beforeAll(async () => {
    staging = await startTestStack(providersUnderTest().includes("native") ? "native" : "testcontainers", stateDir);
    password = decodeURIComponent(new URL(staging.urls.postgres).password);
    const withoutPassword = (url: string) =>
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is the target-file syntax under test
      url.replace(`:${encodeURIComponent(password)}@`, ":${STAGING_PASSWORD}@");
    targetFile = join(stateDir, "staging.json");
    writeFileSync(
      targetFile,
      JSON.stringify({
        name: "staging",
        postgres: withoutPassword(staging.urls.postgres),
        pgbouncer: withoutPassword(staging.urls.pgbouncer),
        redis: staging.urls.redis,
      }),
    );
  });

  afterAll(async () => {
    await staging?.teardown();
  });

  const external = (env: Record<string, string>) =>
    startStack({
      provider: "external",
      target: loadTargetFile(targetFile, env),
      settings: resolveStackSettings(),
      registry: new Registry(stateDir),
      path: process.env.PATH ?? "",
    });

  it("connects, runs local tools against the target, and refuses chaos", async () => {
    const stack = await external({ STAGING_PASSWORD: password });
    expect(stack.provider).toBe("external");
    expect(stack.versions.pgbouncer).toMatch(/^1\./);
    const psql = await stack.exec("pgbouncer", ["psql", "-Atc", "SELECT 6 * 7"]);
    expect(psql).toMatchObject({ exitCode: 0, stdout: "42" });
    // On loopback the servers' processes are found by the ports they listen on, so the sampler counts their CPU
    // as the servers', not as a neighbour's: the very processes the stack that started them knows.
    if (staging.provider === "native") {
      for (const service of ["postgres", "pgbouncer", "redis"] as const) {
        const found = await stack.hostPids(service);
        const own = await staging.hostPids(service);
        expect(found.length, service).toBeGreaterThan(0);
        expect(own, service).toEqual(expect.arrayContaining(found));
      }
    }
    await expect(stack.pause("postgres")).rejects.toBeInstanceOf(UnsupportedOperationError);
    await expect(stack.restart("redis")).rejects.toThrow(/explicit opt-in/);
    await stack.teardown();
    expect(await queryOnce(staging.urls.pgbouncer, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });

  it("a wrong password names the service and never shows the password", async () => {
    const error = await external({ STAGING_PASSWORD: "wrong-Secret-123" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackStartError);
    expect((error as StackStartError).service).toBe("postgres");
    expect((error as Error).message).toMatch(/refused the connection: password authentication failed/);
    expect((error as Error).message).not.toContain("wrong-Secret-123");
  });

  it("rehearse up --target prints redacted URLs, never the password, and leaves the target running", async () => {
    const up = startRehearse(["up", "--target", targetFile, "--json", "--log-level", "debug"], {
      ...testEnv(stateDir),
      STAGING_PASSWORD: password,
    });
    const line = JSON.parse(await up.firstLine(30_000)) as Record<string, string>;
    expect(line.provider).toBe("external");
    expect(line.pgbouncer).toBe(staging.urls.pgbouncer.replace(`:${encodeURIComponent(password)}@`, ":***@"));
    up.child.kill("SIGTERM");
    expect(await up.exited).toBe(0);
    expect(up.stdout() + up.stderr()).not.toContain(password);
    expect(up.stderr()).toContain('"msg":"stack ready"');
    expect(await queryOnce(staging.urls.pgbouncer, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });

  it("rehearse run --target: the password never appears in console output, logs or any report", async () => {
    const scenario = fileURLToPath(new URL("../fixtures/scenarios/external-select.ts", import.meta.url));
    const env = { ...testEnv(stateDir), STAGING_PASSWORD: password };
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const run = await runRehearse(["run", scenario, "--target", targetFile, "--out", out], env, 60_000);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // Debug logs on stderr, in a second run: the most a user can ask to see.
    const debug = await runRehearse(
      ["run", scenario, "--target", targetFile, "--out", out, "--log-level", "debug"],
      env,
      60_000,
    );
    expect(debug.code).toBe(0);
    const files = readdirSync(join(out, "external-select")).map((f) => join(out, "external-select", f));
    expect(files.map((f) => f.split("/").pop()).sort()).toEqual(
      ["findings.txt", "junit.xml", "report.html", "report.json", "report.md"].sort(),
    );
    const everything = [
      run.stdout,
      run.stderr,
      debug.stdout,
      debug.stderr,
      readFileSync(join(out, "rehearse.log"), "utf8"),
      ...files.map((f) => readFileSync(f, "utf8")),
    ].join("\n");
    expect(everything).toContain("external-select");
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(encodeURIComponent(password));
    // The prefix flush ran without an opt-in, the RECONNECT with one (a restart would be bad input: exit 2).
    const report = JSON.parse(readFileSync(join(out, "external-select", "report.json"), "utf8"));
    expect(
      report.actions.map((a: { name: string; result: Record<string, unknown> }) => [
        a.name,
        a.result.refused === undefined && a.result.error === undefined,
      ]),
    ).toEqual([
      ["flush-cache", true],
      ["pgbouncer-reconnect", true],
    ]);
  });
});
