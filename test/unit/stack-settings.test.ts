/**
 * The stack settings pipeline: defaults < the scenario's `stack` block < flags (and their
 * environment defaults), every layer checked by one schema, every problem named by its field,
 * exit 2 before anything starts.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkStackOverrides, resolveStackSettings } from "../../containers/settings.ts";
import { main } from "../../harness/cli/main.ts";
import { readStackFlags, settingsFor } from "../../harness/cli/stack-flags.ts";
import { captureWorld } from "../helpers/capture-world.ts";

const dir = mkdtempSync(join(tmpdir(), "rehearse-unit-stack-"));

/** A scenario file whose `stack` block is `stack` (a plain object: no import needed). */
function scenarioWith(name: string, stack: unknown): string {
  const file = join(dir, `${name}.ts`);
  writeFileSync(
    file,
    `export default {
  stack: ${JSON.stringify(stack)},
  workload: { ops: { select: ({ db }) => db.query("SELECT 1") } },
  scenarios: { s: { executor: "constant-arrival-rate", exec: "select", rate: 1, duration: "1s", preAllocatedVUs: 1 } },
};\n`,
  );
  return file;
}

async function run(...argv: string[]) {
  const stateDir = join(mkdtempSync(join(dir, "state-")), "state");
  const world = captureWorld({ PATH: process.env.PATH, REHEARSE_STATE_DIR: stateDir });
  const code = await main(["run", ...argv, "--provider", "native", "--out", join(dir, "out")], world);
  return { code, err: world.err(), started: existsSync(stateDir) };
}

describe("the scenario's stack block is checked like everything else", () => {
  const cases: [string, unknown, string][] = [
    ["a pool mode that does not exist", { pgbouncer: { poolMode: "bogus" } }, "stack.pgbouncer.poolMode"],
    ["a misspelt pool size", { pgbouncer: { poolSize: 5 } }, "stack.pgbouncer.poolSize: unknown field"],
    ["a negative start timeout", { startTimeoutMs: -5 }, "stack.startTimeoutMs: must be ≥ 1"],
    ["a negative pool size", { pgbouncer: { defaultPoolSize: -1 } }, "stack.pgbouncer.defaultPoolSize: must be ≥ 1"],
    [
      "a fractional pool size",
      { pgbouncer: { defaultPoolSize: 2.5 } },
      "stack.pgbouncer.defaultPoolSize: must be a whole",
    ],
    ["a maxmemory that is not a size", { redis: { maxmemory: "lots" } }, "stack.redis.maxmemory: must be a size"],
    ["an eviction policy Redis lacks", { redis: { maxmemoryPolicy: "lru" } }, "stack.redis.maxmemoryPolicy"],
    ["a Postgres setting that is not a name", { postgres: { config: { "x; rm": "1" } } }, "stack.postgres.config"],
    ["a Postgres value spanning lines", { postgres: { config: { work_mem: "4MB\nfsync=off" } } }, "work_mem"],
    ["a network mode", { containers: { network: "overlay" } }, "stack.containers.network"],
    ["an empty image", { containers: { images: { redis: " " } } }, "stack.containers.images.redis: must not be empty"],
    ["an image for a service that is not one", { containers: { images: { mysql: "mysql:8" } } }, "mysql: unknown"],
    ["an unknown section", { kafka: {} }, "stack.kafka: unknown field"],
    ["a query wait timeout as text", { pgbouncer: { queryWaitTimeout: "2m" } }, "stack.pgbouncer.queryWaitTimeout"],
  ];
  for (const [what, stack, field] of cases) {
    it(`${what}: exit 2, the field named, nothing started`, async () => {
      const file = scenarioWith(what.replaceAll(" ", "-"), stack);
      const { code, err, started } = await run(file);
      expect(code).toBe(2);
      expect(err).toContain(`scenario ${file}`);
      expect(err).toContain(field);
      expect(started).toBe(false);
    });
  }

  it("reports every problem of the block at once", () => {
    const problems = checkStackOverrides(
      { pgbouncer: { poolMode: "bogus", defaultPoolSize: 0 }, redis: { maxmemory: "x" } },
      "stack",
    );
    expect(problems.map((p) => p.split(":")[0])).toEqual([
      "stack.pgbouncer.poolMode",
      "stack.pgbouncer.defaultPoolSize",
      "stack.redis.maxmemory",
    ]);
  });

  it("accepts every valid setting", () => {
    expect(
      checkStackOverrides(
        {
          pgbouncer: { poolMode: "session", defaultPoolSize: 4, minPoolSize: 0, queryWaitTimeout: 5 },
          postgres: { config: { shared_buffers: "128MB" } },
          redis: { maxmemory: "64mb", maxmemoryPolicy: "allkeys-lru" },
          containers: { images: { postgres: "postgres:16" }, network: "bridge" },
          startTimeoutMs: 60_000,
        },
        "stack",
      ),
    ).toEqual([]);
  });
});

describe("flags override the scenario, checked the same way", () => {
  const flags = (values: Record<string, string>, env: Record<string, string> = {}) => {
    const problems: string[] = [];
    return { flags: readStackFlags(values, env, problems), problems };
  };

  it("the flag wins over the scenario, the scenario over the defaults", () => {
    const { flags: f, problems } = flags({ "pool-size": "5" });
    expect(problems).toEqual([]);
    const settings = settingsFor(
      { file: "s.ts", stack: { pgbouncer: { defaultPoolSize: 10, poolMode: "session" }, redis: { maxmemory: "8mb" } } },
      f,
    );
    expect(settings.pgbouncer.defaultPoolSize).toBe(5);
    expect(settings.pgbouncer.poolMode).toBe("session");
    expect(settings.redis.maxmemory).toBe("8mb");
    expect(settings.pgbouncer.maxClientConn).toBe(resolveStackSettings().pgbouncer.maxClientConn);
  });

  it("the scenario's container choices survive flags that do not touch them", () => {
    const { flags: f } = flags({ "pool-size": "5" });
    const settings = settingsFor({ file: "s.ts", stack: { containers: { images: { redis: "redis:7" } } } }, f);
    expect(settings.containers.images.redis).toBe("redis:7");
    const { flags: withEnv } = flags({}, { REHEARSE_IMAGE_REDIS: "local/redis:1" });
    const overridden = settingsFor({ file: "s.ts", stack: { containers: { images: { redis: "redis:7" } } } }, withEnv);
    expect(overridden.containers.images.redis).toBe("local/redis:1");
  });

  it("what only the merged settings show is bad input, naming the scenario", () => {
    const { flags: f } = flags({ "pool-size": "2" });
    expect(() => settingsFor({ file: "s.ts", stack: { pgbouncer: { minPoolSize: 8 } } }, f)).toThrow(
      /scenario s\.ts with the flags given:\n\s+- pgbouncer\.minPoolSize: 8 is more than defaultPoolSize 2/,
    );
  });

  for (const [flag, value] of [
    ["pool-mode", "bogus"],
    ["pool-size", "-3"],
    ["max-client-conn", "0"],
    ["start-timeout", "-5"],
    ["network", "overlay"],
  ] as const) {
    it(`--${flag} ${value}: exit 2, the flag named, nothing started`, async () => {
      const { code, err, started } = await run(scenarioWith(`flag-${flag}`, {}), `--${flag}=${value}`);
      expect(code).toBe(2);
      expect(err).toContain(`--${flag}: '${value}'`);
      expect(started).toBe(false);
    });
  }
});
