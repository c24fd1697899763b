import { describe, expect, it } from "vitest";
import { readStackFlags } from "../../harness/cli/stack-flags.ts";

describe("readStackFlags", () => {
  it("collects every bad value at once", () => {
    const problems: string[] = [];
    readStackFlags(
      { provider: "kubernetes", network: "overlay", "pool-size": "0", "start-timeout": "soon", "log-level": "loud" },
      {},
      problems,
    );
    expect(problems.map((p) => p.split(":")[0]).sort()).toEqual([
      "--log-level",
      "--network",
      "--pool-size",
      "--provider",
      "--start-timeout",
    ]);
  });

  it("takes defaults from the environment and lets flags win", () => {
    const env = {
      REHEARSE_PROVIDER: "native",
      REHEARSE_IMAGE_POSTGRES: "local/pg:1",
      REHEARSE_IMAGE_REDIS: "local/redis:1",
      REHEARSE_STATE_DIR: "/state",
    };
    const problems: string[] = [];
    const flags = readStackFlags(
      { provider: "testcontainers", "redis-image": "flag/redis:2", "pool-size": "5" },
      env,
      problems,
    );
    expect(problems).toEqual([]);
    expect(flags.provider).toBe("testcontainers");
    expect(flags.settings.containers.images).toEqual({
      postgres: "local/pg:1",
      pgbouncer: "edoburu/pgbouncer:latest",
      redis: "flag/redis:2",
    });
    expect(flags.settings.pgbouncer.defaultPoolSize).toBe(5);
    expect(flags.settings.pgbouncer.poolMode).toBe("transaction");
    expect(flags.stateDir).toBe("/state");
  });
});
