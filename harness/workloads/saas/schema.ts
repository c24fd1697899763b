/**
 * The reference workload's schema and seeding: a small SaaS app (accounts,
 * projects, an events table that grows, a jobs queue). Seeding generates rows
 * inside Postgres (INSERT … SELECT generate_series): bulk statements, nothing
 * shipped row by row; the big table is filled in two halves on two
 * connections, and its indexes are built after the load, also in parallel.
 */
import pg from "pg";

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS accounts (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  plan text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS projects (
  id bigint PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts (id),
  name text NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  id bigserial PRIMARY KEY,
  project_id bigint NOT NULL,
  kind text NOT NULL,
  payload text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS jobs (
  id bigserial PRIMARY KEY,
  account_id bigint NOT NULL,
  state text NOT NULL DEFAULT 'queued',
  run_after timestamptz NOT NULL DEFAULT now(),
  attempts int NOT NULL DEFAULT 0,
  claimed_at timestamptz
);`;

/** Independent statements: run two at a time. */
const INDEXES = [
  "CREATE INDEX IF NOT EXISTS events_project_created ON events (project_id, created_at DESC)",
  "CREATE INDEX IF NOT EXISTS events_kind ON events (kind)",
  "CREATE INDEX IF NOT EXISTS projects_account ON projects (account_id)",
  "CREATE INDEX IF NOT EXISTS jobs_queued ON jobs (id) WHERE state = 'queued'",
  "CREATE INDEX IF NOT EXISTS accounts_name ON accounts (name text_pattern_ops)",
];

export const EVENT_KINDS = ["page_view", "signup", "invoice", "export", "login", "comment"] as const;

export interface SeedShape {
  /** Rows in the events table: the "scale". */
  events: number;
  accounts: number;
  projects: number;
  jobs: number;
}

export function seedShape(scale: number): SeedShape {
  const events = Math.max(1_000, Math.round(scale));
  const accounts = Math.max(10, Math.round(events / 10_000));
  return { events, accounts, projects: accounts * 5, jobs: Math.max(100, Math.round(events / 100)) };
}

export interface SeedResult extends SeedShape {
  /** Whether the seed's writes were flushed (CHECKPOINT) before the load; false without the privilege. */
  checkpointed: boolean;
  seconds: number;
}

/**
 * Flushes the seed's writes to disk now. Otherwise a few hundred MB of dirty pages (shared buffers,
 * then the kernel's page cache) are written back during warm-up and baseline: seen as seconds of
 * 60–90 MB/s writes right after a 1M-event seed. Needs superuser or pg_checkpoint (PG 15+), which a
 * staging target may not grant: then the load starts without it.
 */
async function checkpoint(pool: pg.Pool): Promise<boolean> {
  try {
    await pool.query("CHECKPOINT");
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "42501") return false;
    throw error;
  }
}

const EVENTS_SQL = `
INSERT INTO events (project_id, kind, payload, created_at)
SELECT 1 + (g * 7919) % $3::bigint,
       (ARRAY[${EVENT_KINDS.map((k) => `'${k}'`).join(",")}])[1 + g % ${EVENT_KINDS.length}],
       'evt-' || to_hex(g * 2654435761) || '-' || to_hex(g),
       now() - (g % 43200) * interval '1 minute'
FROM generate_series($1::bigint, $2::bigint) g`;

/** Runs `statements` on the pool, at most two at a time. */
async function twoAtATime(pool: pg.Pool, statements: [string, unknown[]][]): Promise<void> {
  const queue = [...statements];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await pool.query(next[0], next[1]);
  };
  await Promise.all([worker(), worker()]);
}

/** Creates the schema and fills it; idempotent (empties the tables first). Needs direct Postgres connections. */
export async function seed(pool: pg.Pool, scale: number): Promise<SeedResult> {
  const shape = seedShape(scale);
  const t0 = performance.now();
  await pool.query(SCHEMA_SQL);
  await pool.query("TRUNCATE events, jobs, projects, accounts RESTART IDENTITY");
  await pool.query(
    `INSERT INTO accounts (id, name, plan, created_at)
     SELECT g, 'account-' || g, (ARRAY['free','team','business'])[1 + g % 3], now() - (g % 365) * interval '1 day'
     FROM generate_series(1, $1::bigint) g`,
    [shape.accounts],
  );
  await pool.query(
    `INSERT INTO projects (id, account_id, name)
     SELECT g, 1 + (g - 1) / 5, 'project-' || g FROM generate_series(1, $1::bigint) g`,
    [shape.projects],
  );
  const half = Math.floor(shape.events / 2);
  await twoAtATime(pool, [
    [EVENTS_SQL, [1, half, shape.projects]],
    [EVENTS_SQL, [half + 1, shape.events, shape.projects]],
  ]);
  await pool.query(
    `INSERT INTO jobs (account_id, run_after)
     SELECT 1 + g % $2::bigint, now() - interval '1 minute' FROM generate_series(1, $1::bigint) g`,
    [shape.jobs, shape.accounts],
  );
  await twoAtATime(
    pool,
    INDEXES.map((sql) => [sql, []]),
  );
  // VACUUM as well: after a bulk insert, autovacuum would otherwise vacuum the tables (Postgres 13+
  // counts inserts) in the middle of the next baseline.
  await pool.query("VACUUM (ANALYZE) accounts, projects, events, jobs");
  const checkpointed = await checkpoint(pool);
  return { ...shape, checkpointed, seconds: (performance.now() - t0) / 1000 };
}

/** The pool `seed` wants: two direct connections to Postgres. */
export function seedPool(postgresUrl: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 2 });
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {})); // see createDbPool
  return pool;
}
