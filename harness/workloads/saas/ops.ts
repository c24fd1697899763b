/**
 * The reference workload's operations. Ids are drawn from the iteration
 * number (reproducible) with a skew toward low ids, so a few accounts are
 * hot, as in real apps, and the cache has something to do.
 */
import type { Op } from "../../clients/op-context.ts";
import { EVENT_KINDS, type SeedShape } from "./schema.ts";

/** A deterministic pseudo-random number in [0, 1) for iteration n (splitmix-style hash). */
function unit(n: number, salt: number): number {
  let x = (n * 0x9e3779b1 + salt * 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) / 4_294_967_296;
}

/** 1..max, skewed: most picks land on the lowest ids. */
function skewedId(n: number, salt: number, max: number): number {
  return 1 + Math.floor(max * unit(n, salt) ** 3);
}

/** "The last 1–7 days": 7 keys an account. A baseline warmed for 15 s then misses ~0.1% (7.5 s: ~2%), so its
 * p95 is a cache hit and a flush shows in it; with 30 ranges one in five baseline requests still missed at
 * half length, the baseline's p95 was already a miss, and a flush barely moved it. */
const DASHBOARD_RANGES = 7;

/** Dashboards stay cached for minutes in most apps; a scenario may say otherwise. */
export const DEFAULT_CACHE_TTL_S = 300;

export function saasOps(shape: SeedShape, cacheTtlSeconds = DEFAULT_CACHE_TTL_S): Record<string, Op> {
  return {
    /** Read through the cache: an account's summary over the last 1–7 days (one key each),
     * computed from events on a miss. */
    dashboard: async ({ db, cache, iteration }) => {
      const account = skewedId(iteration, 1, shape.accounts);
      const days = 1 + Math.floor(unit(iteration, 6) * DASHBOARD_RANGES);
      return cache.cached(`dashboard:${account}:${days}`, cacheTtlSeconds, async () => {
        // Per project and day, as a dashboard charts it: ~1–3 KB a key, so the keys are a real share of Redis'
        // memory and a squeeze (maxmemory) has something to evict.
        const { rows } = await db.query(
          `SELECT p.id, p.name, date_trunc('day', e.created_at) AS day, count(e.id)::int AS events,
                  max(e.created_at) AS last_event
           FROM projects p LEFT JOIN events e ON e.project_id = p.id AND e.created_at > now() - $2::int * interval '1 day'
           WHERE p.account_id = $1 GROUP BY p.id, p.name, day ORDER BY p.id, day`,
          [account, days],
        );
        return rows;
      });
    },
    /** An indexed search: a project's latest events of one kind. */
    search: async ({ db, iteration }) => {
      const project = skewedId(iteration, 2, shape.projects);
      const kind = EVENT_KINDS[Math.floor(unit(iteration, 3) * EVENT_KINDS.length)];
      await db.query(
        "SELECT id, kind, created_at FROM events WHERE project_id = $1 AND kind = $2 ORDER BY created_at DESC LIMIT 20",
        [project, kind],
      );
    },
    /** An export: a scan of one project's events in a transaction that holds its connection throughout. */
    export: async ({ db, iteration }) => {
      const project = 1 + Math.floor(unit(iteration, 4) * shape.projects);
      await db.withConnection(async (query) => {
        await query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        try {
          await query("SELECT count(*), sum(length(payload)) FROM events WHERE project_id = $1", [project]);
          await query("SELECT id, kind, payload FROM events WHERE project_id = $1 ORDER BY id", [project]);
        } finally {
          await query("COMMIT");
        }
      });
    },
    /** A write. Dashboards are not invalidated: they live on their TTL, as cache-aside pages
     * usually do (invalidating every range of a hot account on each event empties the cache). */
    write: async ({ db, iteration }) => {
      const project = skewedId(iteration, 5, shape.projects);
      await db.query("INSERT INTO events (project_id, kind, payload) VALUES ($1, $2, $3)", [
        project,
        EVENT_KINDS[iteration % EVENT_KINDS.length],
        `payload-${iteration}`,
      ]);
    },
    /** A background worker: claims one queued job (SKIP LOCKED), finishes it, queues the next. */
    job: async ({ db }) => {
      const { rows } = await db.query<{ id: string; account_id: string }>(
        `WITH next AS (
           SELECT id FROM jobs WHERE state = 'queued' AND run_after <= now()
           ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
         UPDATE jobs SET state = 'done', claimed_at = now(), attempts = attempts + 1
         FROM next WHERE jobs.id = next.id RETURNING jobs.id, jobs.account_id`,
      );
      const claimed = rows[0];
      if (claimed) await db.query("INSERT INTO jobs (account_id) VALUES ($1)", [claimed.account_id]);
      return claimed?.id;
    },
  };
}
