import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isLoopbackHost, loadTargetFile } from "../../containers/external/target-file.ts";
import { BadInputError } from "../../core/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "rehearse-unit-target-"));
let n = 0;
function targetFile(content: unknown): string {
  const file = join(dir, `target-${n++}.json`);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

const valid = {
  postgres: "postgres://app:pw@127.0.0.1:5432/app",
  pgbouncer: "postgres://app:pw@localhost:6432/app",
  redis: "redis://[::1]:6379/0",
};

function problemsOf(file: string, env: Record<string, string> = {}): string[] {
  try {
    loadTargetFile(file, env);
  } catch (error) {
    if (error instanceof BadInputError) return error.problems;
    throw error;
  }
  throw new Error("expected a BadInputError");
}

describe("loadTargetFile", () => {
  it("accepts loopback URLs and derives the admin console URL", () => {
    const target = loadTargetFile(targetFile(valid), {});
    expect(target.pgbouncerAdmin).toBe("postgres://app:pw@localhost:6432/pgbouncer");
    expect(target.name).toBe("external");
  });

  it("reports every bad field at once, by name", () => {
    const problems = problemsOf(targetFile({ postgres: "http://x", redis: 5, extra: true, allowHosts: "nope" }));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^postgres: must be a postgres:\/\/ URL/),
        expect.stringMatching(/^pgbouncer: /),
        expect.stringMatching(/^redis: /),
        expect.stringMatching(/^extra: unknown field/),
        expect.stringMatching(/^allowHosts: /),
      ]),
    );
  });

  it("refuses hosts off loopback unless allowed in the file", () => {
    const remote = { ...valid, postgres: "postgres://app:pw@db.staging.internal:5432/app" };
    expect(problemsOf(targetFile(remote))).toEqual([
      "postgres: host db.staging.internal is not on loopback; list it in allowHosts to send traffic there",
    ]);
    expect(loadTargetFile(targetFile({ ...remote, allowHosts: ["db.staging.internal"] }), {}).postgres).toContain(
      "db.staging.internal",
    );
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is the target-file syntax under test
  it("expands ${VAR} from the environment and names a missing one", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: as above
    const withVar = { ...valid, pgbouncer: "postgres://app:${PGB_PW}@127.0.0.1:6432/app" };
    const file = targetFile(withVar);
    expect(loadTargetFile(file, { PGB_PW: "s3cr:t" }).pgbouncer).toBe("postgres://app:s3cr%3At@127.0.0.1:6432/app");
    expect(problemsOf(file)).toEqual(["pgbouncer: environment variable PGB_PW is not set"]);
  });

  it("names unreadable and malformed files", () => {
    expect(problemsOf(join(dir, "missing.json"))[0]).toMatch(/^cannot be read: ENOENT/);
    expect(problemsOf(targetFile("{ not json"))[0]).toMatch(/^is not valid JSON/);
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["localhost", true],
    ["[::1]", true],
    ["10.0.0.1", false],
    ["192.168.1.2", false],
    ["127.0.0.1.example.com", false],
  ])("%s → %s", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe("what rehearse up --json prints is a target file", () => {
  it("accepts its provider, id and versions (ignored) beside the URLs", () => {
    const line = {
      provider: "native",
      ...valid,
      pgbouncerAdmin: "postgres://app:pw@127.0.0.1:6432/pgbouncer",
      id: "rh-1a2b3c4d",
      versions: { postgres: "15.18", pgbouncer: "1.18.0", redis: "7.0.15" },
    };
    expect(loadTargetFile(targetFile(line), {})).toMatchObject({ postgres: valid.postgres, redis: valid.redis });
  });

  it("takes a staging app's baseUrl, on loopback unless allowed", () => {
    expect(loadTargetFile(targetFile({ ...valid, app: { baseUrl: "http://127.0.0.1:8080/" } }), {}).app).toEqual({
      baseUrl: "http://127.0.0.1:8080",
    });
    expect(problemsOf(targetFile({ ...valid, app: { baseUrl: "http://10.0.0.5:8080" } }))).toEqual([
      "app.baseUrl: host 10.0.0.5 is not on loopback; list it in allowHosts to send traffic there",
    ]);
  });
});
