/**
 * steady-state: the reference SaaS workload at a steady open-loop rate, no
 * faults. The warm baseline every other rehearsal is compared against, and a
 * quick check that the stack and generator are healthy.
 *   npm run rehearse -- run scenarios/steady-state.ts
 */
import { defineScenario } from "../harness/scenario/define.ts";

export default defineScenario({
  description: "Reference SaaS traffic, warm cache, no faults",
  stack: { pgbouncer: { poolMode: "transaction", defaultPoolSize: 20 } },
  seed: { scale: 200_000 },
  workload: { reference: "saas", client: { poolSize: 20 } },
  scenarios: {
    dashboards: {
      executor: "constant-arrival-rate",
      exec: "dashboard",
      rate: 200,
      duration: "20s",
      preAllocatedVUs: 20,
      maxVUs: 500,
    },
    searches: {
      executor: "constant-arrival-rate",
      exec: "search",
      rate: 100,
      duration: "20s",
      preAllocatedVUs: 10,
      maxVUs: 300,
    },
    writes: {
      executor: "constant-arrival-rate",
      exec: "write",
      rate: 30,
      duration: "20s",
      preAllocatedVUs: 5,
      maxVUs: 100,
    },
    workers: { executor: "constant-vus", exec: "job", vus: 4, duration: "20s" },
  },
  thresholds: {
    "latency{op:dashboard}": ["p(95)<100"],
    "latency{op:search}": ["p(95)<100"],
    errors: ["rate<0.01"],
    cache_hits: ["rate>0.5"],
  },
});
