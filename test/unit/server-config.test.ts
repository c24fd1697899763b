import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  postgresArgs,
  redisArgs,
  renderPgBouncerIni,
  renderPgBouncerUserlist,
  shellCommand,
} from "../../containers/server-config.ts";
import { defaultStackSettings } from "../../containers/settings.ts";

describe("renderPgBouncerIni", () => {
  const settings = { ...defaultStackSettings().pgbouncer, poolMode: "session" as const, defaultPoolSize: 7 };
  const ini = renderPgBouncerIni({
    settings,
    listen: { host: "127.0.0.1", port: 6500 },
    server: { host: "postgres", port: 5432 },
    authFile: "/cfg/userlist.txt",
    adminUser: "rehearse",
  });
  const value = (key: string) => new RegExp(`^${key} = (.*)$`, "m").exec(ini)?.[1];

  it("points every database at the server", () => {
    expect(ini).toMatch(/^\* = host=postgres port=5432$/m);
  });

  it("carries the pool settings", () => {
    expect(value("pool_mode")).toBe("session");
    expect(value("default_pool_size")).toBe("7");
    expect(value("query_wait_timeout")).toBe(String(settings.queryWaitTimeout));
    expect(value("max_client_conn")).toBe(String(settings.maxClientConn));
  });

  it("makes the stack user admin and stats user, with SCRAM auth", () => {
    expect(value("admin_users")).toBe("rehearse");
    expect(value("stats_users")).toBe("rehearse");
    expect(value("auth_type")).toBe("scram-sha-256");
    expect(value("listen_port")).toBe("6500");
  });
});

describe("renderPgBouncerUserlist", () => {
  it("doubles quotes inside values", () => {
    expect(renderPgBouncerUserlist({ user: "a", password: 'p"w', database: "d" })).toBe('"a" "p""w"\n');
  });
});

describe("postgresArgs", () => {
  it("listens where told and passes extra settings as -c", () => {
    const args = postgresArgs({
      settings: { config: { shared_buffers: "64MB" } },
      dataDir: "/d",
      listen: { host: "127.0.0.1", port: 5999 },
      socketDir: "/s",
    });
    expect(args.slice(0, 4)).toEqual(["-D", "/d", "-p", "5999"]);
    expect(args).toContain("listen_addresses=127.0.0.1");
    expect(args).toContain("shared_buffers=64MB");
  });
});

describe("redisArgs", () => {
  it("omits maxmemory when unlimited and sets it otherwise", () => {
    const listen = { host: "127.0.0.1", port: 7000 };
    const unlimited = redisArgs({ settings: { maxmemory: "", maxmemoryPolicy: "noeviction" }, listen, dir: "/t" });
    expect(unlimited).not.toContain("--maxmemory");
    const squeezed = redisArgs({ settings: { maxmemory: "10mb", maxmemoryPolicy: "allkeys-lru" }, listen, dir: "/t" });
    expect(squeezed.slice(squeezed.indexOf("--maxmemory"), squeezed.indexOf("--maxmemory") + 2)).toEqual([
      "--maxmemory",
      "10mb",
    ]);
    expect(squeezed).toContain("allkeys-lru");
  });
});

describe("shellCommand", () => {
  it("round-trips awkward arguments through a real sh", () => {
    const argv = ["", "it's", "a b", "$HOME", "host all all all scram-sha-256\n", "plain"];
    const script = `for a in ${shellCommand(argv)}; do printf '[%s]' "$a"; done`;
    const out = execFileSync("/bin/sh", ["-c", script], { encoding: "utf8" });
    expect(out).toBe(argv.map((a) => `[${a}]`).join(""));
  });
});
