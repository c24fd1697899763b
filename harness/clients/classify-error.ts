/**
 * Error classes counted per op. A failing server must show up as counted
 * errors of a kind a user can act on, never crash the run.
 */
export const ERROR_CLASSES = [
  "timeout",
  "connection",
  "pool_timeout",
  "query",
  "http_4xx",
  "http_5xx",
  "other",
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTCONN"]);

export function classifyError(error: unknown): ErrorClass {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === "string" ? e.code : "";
  const message = typeof e?.message === "string" ? e.message : String(error);
  // An HTTP response the op did not expect (HttpStatusError).
  const status = (error as { status?: unknown } | undefined)?.status;
  if ((error as Error | undefined)?.name === "HttpStatusError" && typeof status === "number")
    return status >= 500 ? "http_5xx" : status >= 400 ? "http_4xx" : "other";
  // undici's timeouts and socket failures.
  if (/^UND_ERR_(HEADERS|BODY|CONNECT)_TIMEOUT$/.test(code)) return "timeout";
  if (code === "UND_ERR_SOCKET" || code === "UND_ERR_CLOSED" || code === "UND_ERR_DESTROYED") return "connection";
  // pg-pool's connectionTimeoutMillis, and PgBouncer giving up on a server connection for the client.
  if (/timeout exceeded when trying to connect|query_wait_timeout/.test(message)) return "pool_timeout";
  // pg's query_timeout, Postgres' statement_timeout / cancel (57014), ioredis' commandTimeout.
  if (code === "57014" || /Query read timeout|Command timed out|timed out/i.test(message)) return "timeout";
  if (
    CONNECTION_CODES.has(code) ||
    code.startsWith("08") ||
    code === "57P01" ||
    code === "57P03" ||
    // ioredis gives up on an unreachable server with these, and no code.
    /Connection terminated|Connection is closed|server closed the connection|connect ECONNREFUSED|max retries per request|Stream isn't writeable/i.test(
      message,
    )
  ) {
    return "connection";
  }
  if (/^[0-9A-Z]{5}$/.test(code)) return "query";
  return "other";
}
