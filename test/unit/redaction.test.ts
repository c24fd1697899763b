import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../core/log.ts";
import { redactUrl, scrub, secretsOf } from "../../core/redact.ts";

const URL_WITH_SECRET = "postgres://app:hunter2-SECRET@127.0.0.1:6432/app";

describe("redactUrl", () => {
  it("hides the password and keeps the rest", () => {
    expect(redactUrl(URL_WITH_SECRET)).toBe("postgres://app:***@127.0.0.1:6432/app");
    expect(redactUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
    expect(redactUrl("not a url")).toBe("<unparseable url>");
  });
});

describe("scrub", () => {
  it("removes every secret found in URLs from free text", () => {
    const secrets = secretsOf([URL_WITH_SECRET]);
    expect(scrub(`connect failed for ${URL_WITH_SECRET}: hunter2-SECRET`, secrets)).not.toContain("hunter2-SECRET");
  });
});

describe("createLogger", () => {
  it("never writes a password, whether in a url field, nested urls or the message", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger("info", sink, () => secretsOf([URL_WITH_SECRET]));
    log.info({ url: URL_WITH_SECRET }, "connecting");
    log.info({ stack: { urls: { pgbouncer: URL_WITH_SECRET } } }, "nested");
    log.info({ password: "hunter2-SECRET" }, "plain password field");
    log.warn(`server said: bad login for ${URL_WITH_SECRET}`);
    const output = lines.join("");
    expect(lines).toHaveLength(4);
    expect(output).not.toContain("hunter2-SECRET");
    expect(output).toContain("postgres://app:***@127.0.0.1:6432/app");
  });
});
