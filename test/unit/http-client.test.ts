/**
 * The ops' http client against real node:http servers on loopback: round
 * robin over instances, statuses counted, unexpected ones are errors of their
 * class, the wait for a socket kept apart from service time.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expandPlaceholders } from "../../harness/app/app-spec.ts";
import { classifyError } from "../../harness/clients/classify-error.ts";
import { HttpTargets, HttpView } from "../../harness/clients/http.ts";
import { IterationTimer } from "../../harness/clients/iteration-timer.ts";
import { opContext } from "../../harness/clients/op-context.ts";

function server(name: string): Promise<Server> {
  const s = createServer((req, res) => {
    if (req.url === "/missing") {
      res.writeHead(404).end();
      return;
    }
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ name, method: req.method, body }));
    });
  });
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve(s)));
}

const servers: Server[] = [];
const targets = new HttpTargets({ connections: 4, timeoutMs: 5_000 });

beforeAll(async () => {
  servers.push(await server("a"), await server("b"));
  targets.setOrigins(servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`));
});

afterAll(async () => {
  await targets.close();
  for (const s of servers) s.close();
});

describe("http client", () => {
  it("spreads requests over the instances, round robin, and records each", async () => {
    const timer = new IterationTimer();
    const http = new HttpView(targets, timer);
    const names = [];
    for (let i = 0; i < 4; i++) names.push((await http.get("/x")).json<{ name: string }>().name);
    expect(names.sort()).toEqual(["a", "a", "b", "b"]);
    expect(timer.http?.map((s) => [s.status, s.failed])).toEqual([
      [200, false],
      [200, false],
      [200, false],
      [200, false],
    ]);
    expect(timer.serviceMs).toBeGreaterThan(0);
  });

  it("sends JSON bodies", async () => {
    const http = new HttpView(targets, new IterationTimer());
    const echoed = (await http.post("/events", { json: { account: 7 } })).json<{ method: string; body: string }>();
    expect(echoed).toMatchObject({ method: "POST", body: '{"account":7}' });
  });

  it("an unexpected status is an error of its class; an expected one is not", async () => {
    const timer = new IterationTimer();
    const http = new HttpView(targets, timer);
    const error = await http.get("/missing", { name: "/missing/:id" }).catch((e: unknown) => e);
    expect(classifyError(error)).toBe("http_4xx");
    expect((error as Error).message).toBe("GET /missing/:id answered 404");
    await expect(http.get("/missing", { expect: [404] })).resolves.toMatchObject({ status: 404 });
    expect(timer.http?.map((s) => [s.status, s.failed])).toEqual([
      [404, true],
      [404, false],
    ]);
  });

  it("a refused connection is a connection error, and absolute URLs must be on loopback", async () => {
    const http = new HttpView(targets, new IterationTimer());
    const refused = await http.get("http://127.0.0.1:9/").catch((e: unknown) => e);
    expect(classifyError(refused)).toBe("connection");
    await expect(http.get("http://10.1.2.3/")).rejects.toThrow(/not on loopback/);
  });
});

describe("check(): k6's checks", () => {
  it("runs every predicate, counts what held, and returns whether all did; a throwing one did not hold", () => {
    const timer = new IterationTimer();
    const ctx = opContext({ pool: {} as never, redis: {} as never, cachePrefix: "" }, timer, 1, 1);
    const res = { status: 200, body: "ok" };
    expect(ctx.check(res, { "status 200": (r) => r.status === 200, "has body": (r) => r.body.length > 0 })).toBe(true);
    expect(
      ctx.check(res, {
        "status 201": (r) => r.status === 201,
        throws: () => {
          throw new Error("x");
        },
      }),
    ).toBe(false);
    expect([timer.checksPassed, timer.checksFailed]).toEqual([2, 2]);
  });
});

describe("app environment placeholders", () => {
  it("replaces {pgbouncer}, {postgres}, {redis} and {port}; leaves other braces alone", () => {
    const values = { pgbouncer: "postgres://b", postgres: "postgres://p", redis: "redis://r", port: "4000" };
    expect(expandPlaceholders("{pgbouncer}|{postgres}|{redis}|{port}|{other}", values)).toBe(
      "postgres://b|postgres://p|redis://r|4000|{other}",
    );
  });
});

describe("requests grouped by k6's name tag", () => {
  it("a request's name is its `name` option, else its path without the query", async () => {
    const timer = new IterationTimer();
    const http = new HttpView(targets, timer);
    await http.get("/dashboard/17?tab=2", { name: "/dashboard/:account" });
    await http.get("/search?q=x");
    await http.get("/missing", { expect: [404] });
    expect(timer.http?.map((r) => r.name)).toEqual(["/dashboard/:account", "/search", "/missing"]);
  });
});
