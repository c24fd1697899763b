/**
 * cold-cache: the cache goes cold mid-traffic (as after a deploy that
 * flushes it, or a Redis failover). Expect, in the fault phase against the
 * baseline: the dashboard's cache hit ratio falls, its p95 rises as misses
 * fall through to Postgres, pool wait may climb; then recovery time, until
 * p95 is back within 20% (+5 ms) of the baseline for 5 s.
 *   npm run rehearse -- run scenarios/cold-cache.ts
 */
import { defineScenario } from "rehearse";

const TOTAL = "65s";

export default defineScenario({
  description: "Flush the workload's cache keys at 35 s; watch the dashboard refill from Postgres",
  stack: { pgbouncer: { poolMode: "transaction", defaultPoolSize: 20 } },
  seed: { scale: 200_000 },
  workload: { reference: "saas", client: { poolSize: 20 } },
  // The cache starts empty: a warm-up fills it, and the baseline is measured warm.
  phases: [
    { name: "warmup", duration: "15s" },
    { name: "baseline", duration: "20s" },
    { name: "fault", duration: "10s" },
    { name: "recovery", duration: "20s" },
  ],
  baseline: "baseline",
  actions: [{ at: "35s", action: "flush-cache" }],
  scenarios: {
    dashboards: {
      executor: "constant-arrival-rate",
      exec: "dashboard",
      rate: 80,
      duration: TOTAL,
      preAllocatedVUs: 30,
      maxVUs: 1000,
    },
    searches: {
      executor: "constant-arrival-rate",
      exec: "search",
      rate: 40,
      duration: TOTAL,
      preAllocatedVUs: 10,
      maxVUs: 300,
    },
    writes: {
      executor: "constant-arrival-rate",
      exec: "write",
      rate: 10,
      duration: TOTAL,
      preAllocatedVUs: 5,
      maxVUs: 100,
    },
  },
  // The baseline must be warm; during and after the flush, what users feel must stay within the
  // launch-readiness bar (p95 < 300 ms, errors < 1%). Expected: PASSED — the dashboard refills in seconds.
  thresholds: {
    "latency{op:dashboard,phase:baseline}": ["p(95)<300"],
    "latency{phase:fault}": ["p(95)<300"],
    "latency{phase:recovery}": ["p(95)<300"],
    errors: ["rate<0.01"],
  },
});
