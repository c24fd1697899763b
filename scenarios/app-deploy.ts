/**
 * app-deploy: a deploy of your app under load. The example app runs as three
 * instances behind the http client's round robin; at 30 s a release ships: a
 * migration on the busiest table (its lock held 1 s, as a slow migration
 * does), then the instances are replaced — all at once by default, one at a
 * time with DEPLOY=rolling. Expect in the deploy phase, against the baseline:
 * PgBouncer's clients wait for server connections (server pool wait: the
 * app's own pool is invisible to rehearse) while the migration holds its
 * lock; all-at-once leaves a window with no instance (errors), rolling does not.
 *   npm run rehearse -- run scenarios/app-deploy.ts
 *   DEPLOY=rolling npm run rehearse -- run scenarios/app-deploy.ts
 */
import { defineScenario } from "rehearse";

const TOTAL = "60s";
const ACCOUNTS = 500;
const MODE = process.env.DEPLOY === "rolling" ? "rolling" : "all";
const steady = { executor: "constant-arrival-rate", duration: TOTAL, preAllocatedVUs: 20, maxVUs: 500 } as const;

export default defineScenario({
  description: `A release at 30 s: a lock-taking migration, then the app's instances replaced (${MODE})`,
  stack: { pgbouncer: { poolMode: "transaction", defaultPoolSize: 6 } },
  app: {
    command: "npm start",
    cwd: "../examples/dashboard-app",
    setup: ["npm run migrate"],
    ready: "/health",
    instances: 3,
    env: { CACHE_TTL: "600", PG_POOL_SIZE: "8", ACCOUNTS: String(ACCOUNTS), EVENTS_PER_ACCOUNT: "100" },
  },
  workload: {
    cachePrefix: "app:",
    ops: {
      dashboard: ({ http, iteration }) =>
        http.get(`/dashboard/${1 + ((iteration * 7919) % ACCOUNTS)}`, { name: "/dashboard/:account" }),
      search: ({ http, iteration }) => http.get(`/search?account=${1 + (iteration % ACCOUNTS)}&kind=view`),
      event: ({ http, iteration }) =>
        http.post("/events", { json: { account: 1 + (iteration % ACCOUNTS), kind: "click" } }),
    },
  },
  phases: [
    { name: "warmup", duration: "10s" },
    { name: "baseline", duration: "20s" },
    { name: "deploy", duration: "10s" },
    { name: "after", duration: "20s" },
  ],
  baseline: "baseline",
  actions: [
    {
      at: "30s",
      action: "app-restart",
      mode: MODE,
      migration: { sql: "ALTER TABLE events ADD COLUMN IF NOT EXISTS note text", lockTimeout: "5s", hold: "1s" },
    },
  ],
  scenarios: {
    dashboards: { ...steady, exec: "dashboard", rate: 100 },
    searches: { ...steady, exec: "search", rate: 60 },
    events: { ...steady, exec: "event", rate: 30 },
  },
  // The launch-readiness bar through the deploy and after it. Expected: all-at-once FAILS (requests
  // queue behind the migration's lock and find no instance for a moment); rolling holds p95 but the
  // migration still makes PgBouncer's clients wait.
  thresholds: {
    "latency{op:dashboard,phase:baseline}": ["p(95)<300"],
    "latency{phase:deploy}": ["p(95)<300"],
    "latency{phase:after}": ["p(95)<300"],
    errors: ["rate<0.01"],
  },
});
