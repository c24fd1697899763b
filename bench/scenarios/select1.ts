/** bench/segments' load: SELECT 1 through PgBouncer, closed loop (16 VUs) or open loop (BENCH_RATE/s). */
import { defineScenario } from "rehearse";

const seconds = `${process.env.BENCH_SECONDS ?? "10"}s`;
const open = process.env.BENCH_MODE === "open";

export default defineScenario({
  seed: { scale: 0 },
  workload: { ops: { select: ({ db }) => db.query("SELECT 1") }, client: { poolSize: 16 } },
  scenarios: {
    load: open
      ? {
          executor: "constant-arrival-rate",
          exec: "select",
          rate: Number(process.env.BENCH_RATE ?? 1000),
          duration: seconds,
          preAllocatedVUs: 100,
          maxVUs: 2000,
        }
      : { executor: "constant-vus", exec: "select", vus: 16, duration: seconds },
  },
  thresholds: { errors: ["rate<0.01"] },
});
