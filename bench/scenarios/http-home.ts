/** bench/http's load for --workers: GET / on the bench's app, closed loop, 16 VUs for BENCH_SECONDS. */
import { defineScenario } from "rehearse";

export default defineScenario({
  seed: { scale: 0 },
  workload: { ops: { home: ({ http }) => http.get("/") } },
  scenarios: {
    vus: { executor: "constant-vus", exec: "home", vus: 16, duration: `${process.env.BENCH_SECONDS ?? "10"}s` },
  },
  thresholds: { errors: ["rate<0.01"] },
});
