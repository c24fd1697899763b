// The app's schema, and demo data when the table is empty; run against Postgres directly
// (DIRECT_DATABASE_URL: schema changes do not belong behind a transaction-pooling PgBouncer).
//   ACCOUNTS (default 200) accounts × EVENTS_PER_ACCOUNT (default 200) events over the last 10 days.
import pg from "pg";

const client = new pg.Client({ connectionString: process.env.DIRECT_DATABASE_URL ?? process.env.DATABASE_URL });
await client.connect();
await client.query(`
  CREATE TABLE IF NOT EXISTS events (
    id bigserial PRIMARY KEY,
    account_id int NOT NULL,
    kind text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX IF NOT EXISTS events_account_kind_time ON events (account_id, kind, created_at DESC);
  CREATE INDEX IF NOT EXISTS events_account_time ON events (account_id, created_at);
`);
const { rows } = await client.query("SELECT count(*)::int AS n FROM events");
if (rows[0].n === 0) {
  const accounts = Number(process.env.ACCOUNTS ?? 200);
  const perAccount = Number(process.env.EVENTS_PER_ACCOUNT ?? 200);
  await client.query(
    `INSERT INTO events (account_id, kind, created_at)
     SELECT 1 + g % $1, (ARRAY['view','click','signup','purchase'])[1 + g % 4], now() - (g % 14400) * interval '1 minute'
     FROM generate_series(1, $2::bigint) g`,
    [accounts, accounts * perAccount],
  );
  await client.query("ANALYZE events");
  console.log(`seeded ${accounts * perAccount} events for ${accounts} accounts`);
}
await client.end();
console.log("migrated");
