/**
 * The scenario `rehearse init` writes: commented, for the team's own app (the
 * `app` block and `http` ops) or for their own db/cache ops. A cold cache is
 * the fault: the first thing most teams want to rehearse.
 */

export interface AppChoices {
  /** How the app starts, e.g. "npm start". */
  command: string;
  /** The app's directory, relative to the scenario file. */
  cwd: string;
  /** Run once before the first instance (migrations, seed data). */
  setup: string[];
  /** A path that answers 2xx when the app is ready; also what the example op requests. */
  ready: string;
  /** The app's own environment names, mapped to the stack's URLs and its port (`{pgbouncer}`, `{port}`...). */
  env: Record<string, string>;
}

/** The one import a user's scenario needs: the package's public entry, by name. */
const PUBLIC_IMPORT = 'import { defineScenario } from "rehearse";';

const HEADER = (name: string, what: string) => `/**
 * ${name}: ${what}
 * Written by \`rehearse init\`; yours to edit. Run it (Docker, or Postgres,
 * PgBouncer and Redis installed locally):
 *   npx rehearse run rehearse/${name}.ts
 * Phases: a warm-up (not measured), the baseline, the fault (the cache is
 * flushed when it starts), the recovery. The report compares each phase with
 * the baseline: p95 latency, pool wait (client and PgBouncer), cache hit ratio.
 */
${PUBLIC_IMPORT}
`;

const TIMING = `const TOTAL = "60s";
// Open-loop traffic, as users arrive: a constant rate whatever the response times.
const steady = { executor: "constant-arrival-rate", duration: TOTAL, preAllocatedVUs: 10, maxVUs: 200 } as const;
`;

const PHASES = `  phases: [
    { name: "warmup", duration: "10s" },
    { name: "baseline", duration: "20s" },
    { name: "fault", duration: "10s" },
    { name: "recovery", duration: "20s" },
  ],
  baseline: "baseline",`;

/** The env block as code: the names the app reads, or a commented example. */
function envBlock(env: Record<string, string>): string {
  const entries = Object.entries(env);
  if (entries.length === 0)
    return `    // An app that reads other names: env: { PG_URL: "{pgbouncer}", CACHE_URL: "{redis}", APP_PORT: "{port}" }`;
  return `    env: { ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(", ")} },`;
}

export function appScenario(name: string, app: AppChoices): string {
  const setup = app.setup.length > 0 ? JSON.stringify(app.setup) : '[] /* e.g. "npm run migrate" */';
  return `${HEADER(name, "your app under load while its Redis cache goes cold, as after a deploy\n * that flushes it or a Redis failover.")}
${TIMING}
export default defineScenario({
  description: "The app's cache flushed under steady traffic; how slow, and for how long",
  // The stack rehearse starts for this run. PgBouncer's pool size is what a deploy burst exhausts.
  stack: { pgbouncer: { poolMode: "transaction", defaultPoolSize: 20 } },
  app: {
    // Started once the stack is up, with DATABASE_URL (through PgBouncer), DIRECT_DATABASE_URL
    // (Postgres, for migrations), REDIS_URL and PORT in its environment. cwd is relative to this file.
    command: ${JSON.stringify(app.command)},
    cwd: ${JSON.stringify(app.cwd)},
    // Run once before the app starts, with the app's env but Postgres directly in place of PgBouncer
    // (migrations do not belong behind transaction pooling); setupEnv: { ... } to change that.
    setup: ${setup},
    // Must answer 2xx before traffic starts.
    ready: ${JSON.stringify(app.ready)},
    instances: 1,
${envBlock(app.env)}
    // A deploy (action app-restart) stops an instance as Kubernetes does: out of rotation, drain
    // (default "0s"), SIGTERM, then stopTimeout (default "30s") for every process before SIGKILL.
  },
  workload: {
    // One op per endpoint: the report gives each its p95, errors by class and status counts.
    ops: {
      page: ({ http }) => http.get(${JSON.stringify(app.ready)}),
      // item: ({ http, iteration }) => http.get(\`/items/\${iteration % 100}\`, { name: "/items/:id" }),
      // save: ({ http }) => http.post("/items", { json: { title: "rehearsal" } }),
    },
  },
${PHASES}
  // The stack is rehearse's own: empty all of Redis. (On a staging target, set workload.cachePrefix
  // to your app's key prefix and use scope "prefix": only those keys go.)
  actions: [{ at: "30s", action: "flush-cache", scope: "all" }],
  scenarios: {
    pages: { ...steady, exec: "page", rate: 20 },
  },
  // The budgets that decide PASSED (exit 0) or FAILED (exit 99), in k6's threshold grammar. Each holds
  // for the op (endpoint) it names, and in the fault and recovery phases on every 10 s window too. An
  // op no budget names keeps the launch-readiness bar: p95 < 300 ms after the baseline, errors < 1%.
  thresholds: {
    "latency{op:page,phase:baseline}": ["p(95)<300"],
    "latency{op:page,phase:fault}": ["p(95)<1000"],
    "errors{op:page}": ["rate<0.01"],
  },
});
`;
}

export function opsScenario(name: string): string {
  return `${HEADER(name, "your data access under load while the Redis cache goes cold. The ops\n * below talk to Postgres (through PgBouncer) and Redis directly; replace them\n * with your own queries and cache keys.")}
${TIMING}
const ITEMS = 10_000;

export default defineScenario({
  description: "Cache-aside reads and writes; the cache flushed under steady traffic",
  stack: { pgbouncer: { poolMode: "transaction", defaultPoolSize: 20 } },
  // Your schema and data, straight at Postgres, before the load starts.
  seed: async ({ db }) => {
    await db.query("CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, title text NOT NULL, views int NOT NULL DEFAULT 0)");
    await db.query(
      "INSERT INTO items (id, title) SELECT g, 'item ' || g FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING",
      [ITEMS],
    );
  },
  workload: {
    // Every key the ops use starts with this prefix; the flush below empties exactly them.
    cachePrefix: "app:",
    ops: {
      // Cache-aside: a hit is served by Redis, a miss falls through to Postgres and refills the key.
      item: ({ db, cache, iteration }) => {
        const id = 1 + ((iteration * 7919) % ITEMS);
        return cache.cached(\`item:\${id}\`, 300, async () => (await db.query("SELECT * FROM items WHERE id = $1", [id])).rows[0]);
      },
      view: ({ db, iteration }) => db.query("UPDATE items SET views = views + 1 WHERE id = $1", [1 + (iteration % ITEMS)]),
    },
  },
${PHASES}
  actions: [{ at: "30s", action: "flush-cache" }],
  scenarios: {
    items: { ...steady, exec: "item", rate: 100 },
    views: { ...steady, exec: "view", rate: 20 },
  },
  // The budgets that decide PASSED (exit 0) or FAILED (exit 99), in k6's threshold grammar. Each holds
  // for the op it names, and in the fault and recovery phases on every 10 s window too. An op no budget
  // names keeps the launch-readiness bar: p95 < 300 ms after the baseline, errors < 1%.
  thresholds: {
    "latency{op:item,phase:baseline}": ["p(95)<300"],
    "latency{op:item,phase:fault}": ["p(95)<1000"],
    "errors{op:item}": ["rate<0.01"],
    "errors{op:view}": ["rate<0.01"],
  },
});
`;
}
