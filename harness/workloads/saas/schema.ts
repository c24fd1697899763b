/**
 * The reference workload's schema and seeding: a small SaaS app (accounts,
 * projects, an events table that grows, a jobs queue). Seeding generates rows
 * inside Postgres (INSERT … SELECT generate_series): one bulk statement per
 * table, nothing shipped row by row; indexes are built after the load.
 */
import type pg from "pg";

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

const INDEXES_SQL = `
CREATE INDEX IF NOT EXISTS projects_account ON projects (account_id);
CREATE INDEX IF NOT EXISTS events_project_created ON events (project_id, created_at DESC);
CREATE INDEX IF NOT EXISTS events_kind ON events (kind);
CREATE INDEX IF NOT EXISTS jobs_queued ON jobs (id) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS accounts_name ON accounts (name text_pattern_ops);`;

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
  seconds: number;
}

/** Creates the schema and fills it; idempotent (drops the data first). Needs a direct Postgres connection. */
export async function seed(client: pg.ClientBase, scale: number): Promise<SeedResult> {
  const shape = seedShape(scale);
  const t0 = performance.now();
  await client.query(SCHEMA_SQL);
  await client.query("TRUNCATE events, jobs, projects, accounts RESTART IDENTITY");
  await client.query(
    `INSERT INTO accounts (id, name, plan, created_at)
     SELECT g, 'account-' || g, (ARRAY['free','team','business'])[1 + g % 3], now() - (g % 365) * interval '1 day'
     FROM generate_series(1, $1::bigint) g`,
    [shape.accounts],
  );
  await client.query(
    `INSERT INTO projects (id, account_id, name)
     SELECT g, 1 + (g - 1) / 5, 'project-' || g FROM generate_series(1, $1::bigint) g`,
    [shape.projects],
  );
  await client.query(
    `INSERT INTO events (project_id, kind, payload, created_at)
     SELECT 1 + (g * 7919) % $2::bigint,
            (ARRAY[${EVENT_KINDS.map((k) => `'${k}'`).join(",")}])[1 + g % ${EVENT_KINDS.length}],
            md5(g::text) || md5((g * 31)::text),
            now() - (g % 43200) * interval '1 minute'
     FROM generate_series(1, $1::bigint) g`,
    [shape.events, shape.projects],
  );
  await client.query(
    `INSERT INTO jobs (account_id, run_after)
     SELECT 1 + g % $2::bigint, now() - interval '1 minute' FROM generate_series(1, $1::bigint) g`,
    [shape.jobs, shape.accounts],
  );
  await client.query(INDEXES_SQL);
  await client.query("ANALYZE accounts, projects, events, jobs");
  return { ...shape, seconds: (performance.now() - t0) / 1000 };
}
