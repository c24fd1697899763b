// A small, real dashboard app to rehearse: node:http, pg (through PgBouncer) and ioredis.
//   GET  /health                 200 when Postgres and Redis answer
//   GET  /dashboard/:account     an account's last-7-days summary, cached in Redis (CACHE_TTL seconds)
//   GET  /search?account=&kind=  the account's latest events of a kind (indexed)
//   POST /events                 { account, kind }: records an event
// Configuration from the environment, as rehearse (or any platform) gives it:
//   DATABASE_URL, REDIS_URL, PORT, HOST, PG_POOL_SIZE (default 10), CACHE_TTL (default 60).
// On SIGTERM it shuts down as a well-behaved service does: stops accepting, finishes what is in flight,
// closes its pools, logs it, exits 0. Two switches rehearse's tests use to rehearse worse ones:
//   SHUTDOWN=abrupt    drops every connection at once (in-flight requests fail), then exits
//   IGNORE_SIGTERM=1   ignores the signal (a platform then kills it after its grace period)
//   SEARCH_DELAY_MS=n  makes every search take n ms more (requests in flight at any moment)
//   DASHBOARD_MISS_MS=n  holds every uncached dashboard's Postgres connection n ms more (pg_sleep): the report
//                        query of an app with more data than this demo seeds, so a cold cache costs what it does
import { createServer } from "node:http";
import { Redis } from "ioredis";
import pg from "pg";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.PG_POOL_SIZE ?? 10) });
pool.on("error", (error) => console.error("pg pool:", error.message));
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
redis.on("error", (error) => console.error("redis:", error.message));
const ttl = Number(process.env.CACHE_TTL ?? 60);

const dashboardMissMs = Number(process.env.DASHBOARD_MISS_MS ?? 0);

async function dashboard(account) {
  const key = `app:dashboard:${account}`;
  const cached = await redis.get(key);
  if (cached) return { source: "cache", ...JSON.parse(cached) };
  const { rows } = await pool.query(
    `SELECT kind, date_trunc('day', created_at) AS day, count(*)::int AS events, max(created_at) AS last
     FROM events WHERE account_id = $1 AND created_at > now() - interval '30 days'
     GROUP BY kind, day ORDER BY day, kind`,
    [account],
  );
  if (dashboardMissMs > 0) await pool.query("SELECT pg_sleep($1)", [dashboardMissMs / 1000]);
  const summary = { account, kinds: rows };
  await redis.set(key, JSON.stringify(summary), "EX", ttl);
  return { source: "db", ...summary };
}

const searchDelayMs = Number(process.env.SEARCH_DELAY_MS ?? 0);

async function search(account, kind) {
  if (searchDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, searchDelayMs));
  const { rows } = await pool.query(
    "SELECT id, kind, created_at FROM events WHERE account_id = $1 AND kind = $2 ORDER BY created_at DESC LIMIT 20",
    [account, kind],
  );
  return rows;
}

async function record(body) {
  const { account, kind } = JSON.parse(body || "{}");
  if (!Number.isInteger(account) || typeof kind !== "string") return null;
  const { rows } = await pool.query("INSERT INTO events (account_id, kind) VALUES ($1, $2) RETURNING id", [
    account,
    kind,
  ]);
  return rows[0];
}

function send(res, status, value) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://app");
  let body = "";
  req.on("data", (chunk) => {
    body += chunk;
  });
  req.on("end", async () => {
    try {
      if (req.method === "GET" && url.pathname === "/health") {
        await pool.query("SELECT 1");
        await redis.ping();
        return send(res, 200, { ok: true });
      }
      const match = /^\/dashboard\/(\d+)$/.exec(url.pathname);
      if (req.method === "GET" && match) return send(res, 200, await dashboard(Number(match[1])));
      if (req.method === "GET" && url.pathname === "/search") {
        return send(
          res,
          200,
          await search(Number(url.searchParams.get("account")), url.searchParams.get("kind") ?? "view"),
        );
      }
      if (req.method === "POST" && url.pathname === "/events") {
        const created = await record(body);
        return created ? send(res, 201, created) : send(res, 400, { error: "need { account, kind }" });
      }
      send(res, 404, { error: "not found" });
    } catch (error) {
      send(res, 503, { error: error.message });
    }
  });
});

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? "127.0.0.1", () => {
  console.log(`dashboard-app listening on ${process.env.HOST ?? "127.0.0.1"}:${process.env.PORT ?? 3000}`);
});

// A deploy stops the old instances with SIGTERM: finish what is in flight, then close the pools.
let stopping = false;
process.on("SIGTERM", () => {
  if (process.env.IGNORE_SIGTERM === "1") {
    console.log("SIGTERM ignored");
    return;
  }
  if (stopping) return;
  stopping = true;
  if (process.env.SHUTDOWN === "abrupt") {
    console.log("SIGTERM: dropping every connection");
    server.closeAllConnections();
    process.exit(0);
  }
  console.log("SIGTERM: finishing in-flight requests");
  server.close(async () => {
    clearInterval(idle);
    await Promise.allSettled([pool.end(), redis.quit()]);
    console.log("shutdown complete: in-flight requests finished, pools closed");
    process.exit(0);
  });
  // Keep-alive connections close as soon as their last response is out.
  const idle = setInterval(() => server.closeIdleConnections(), 20);
  server.closeIdleConnections();
});
