import { describe, expect, it } from "vitest";
import { classifyError } from "../../harness/clients/classify-error.ts";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("classifyError", () => {
  it.each([
    [new Error("timeout exceeded when trying to connect"), "pool_timeout"],
    [withCode("query_wait_timeout", "08P01"), "pool_timeout"],
    [new Error("Query read timeout"), "timeout"],
    [withCode("canceling statement due to statement timeout", "57014"), "timeout"],
    [new Error("Command timed out"), "timeout"],
    [withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"), "connection"],
    [withCode("read ECONNRESET", "ECONNRESET"), "connection"],
    [new Error("Connection terminated unexpectedly"), "connection"],
    [withCode("terminating connection due to administrator command", "57P01"), "connection"],
    [withCode("the database system is starting up", "57P03"), "connection"],
    [new Error("Reached the max retries per request limit (which is 1). Refer to ..."), "connection"],
    [new Error("Stream isn't writeable and enableOfflineQueue options is false"), "connection"],
    [Object.assign(new Error("GET /x answered 404"), { name: "HttpStatusError", status: 404 }), "http_4xx"],
    [Object.assign(new Error("GET /x answered 503"), { name: "HttpStatusError", status: 503 }), "http_5xx"],
    [withCode("Headers Timeout Error", "UND_ERR_HEADERS_TIMEOUT"), "timeout"],
    [withCode("other side closed", "UND_ERR_SOCKET"), "connection"],
    [withCode('relation "nope" does not exist', "42P01"), "query"],
    [withCode("could not serialize access", "40001"), "query"],
    [new Error("something else"), "other"],
    ["a string", "other"],
  ])("%s → %s", (error, expected) => {
    expect(classifyError(error)).toBe(expected);
  });
});
