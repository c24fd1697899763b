/**
 * app-cold-cache: your app's cache goes cold under load. The example app
 * (examples/dashboard-app) runs as two instances against the stack; at 35 s
 * its Redis keys are flushed. Expect in the fault phase, against the
 * baseline: Redis' hit ratio falls (the app's own cache, read from INFO), the
 * dashboard's HTTP p95 rises as misses fall through to Postgres (each holds its
 * connection 25 ms, DASHBOARD_MISS_MS: the report query of an app with more data
 * than the demo seeds); then recovery is timed. Budgets: the launch-readiness bar.
 *   npm run rehearse -- run scenarios/app-cold-cache.ts
 */
import { defineScenario } from "rehearse";

const TOTAL = "65s";
const ACCOUNTS = 500;
const steady = { executor: "constant-arrival-rate", duration: TOTAL, preAllocatedVUs: 20, maxVUs: 500 } as const;

export default defineScenario({
  description: "The example app's Redis keys flushed at 35 s; watch its dashboards refill from Postgres",
  stack: { pgbouncer: { poolMode: "transaction", defaultPoolSize: 20 } },
  app: {
    command: "npm start",
    cwd: "../examples/dashboard-app",
    setup: ["npm run migrate"],
    ready: "/health",
    instances: 2,
    env: {
      CACHE_TTL: "600",
      PG_POOL_SIZE: "10",
      ACCOUNTS: String(ACCOUNTS),
      EVENTS_PER_ACCOUNT: "1000",
      DASHBOARD_MISS_MS: "25",
    },
  },
  // The app keeps its keys under "app:": a prefix flush empties exactly its cache.
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
    { name: "warmup", duration: "15s" },
    { name: "baseline", duration: "20s" },
    { name: "fault", duration: "10s" },
    { name: "recovery", duration: "20s" },
  ],
  baseline: "baseline",
  actions: [{ at: "35s", action: "flush-cache" }],
  scenarios: {
    dashboards: { ...steady, exec: "dashboard", rate: 150 },
    searches: { ...steady, exec: "search", rate: 40 },
    events: { ...steady, exec: "event", rate: 20 },
  },
  thresholds: {
    "latency{op:dashboard,phase:baseline}": ["p(95)<300"],
    "latency{phase:fault}": ["p(95)<300"],
    "latency{phase:recovery}": ["p(95)<300"],
    http_req_failed: ["rate<0.01"],
    errors: ["rate<0.01"],
  },
});
