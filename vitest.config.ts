import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Scenarios import "rehearse" as a user's would; in the working tree that is the sources
// (bin/rehearse.js does the same for the CLI with the "rehearse-source" condition).
const resolve = { alias: [{ find: /^rehearse$/, replacement: fileURLToPath(new URL("./index.ts", import.meta.url)) }] };

// Two suites: unit (pure logic, no servers, seconds) and integration (real
// Postgres, PgBouncer and Redis; containers and native processes). No retries:
// they hide timing bugs, and a test judges every run it makes (an invalid run fails it).
export default defineConfig({
  test: {
    retry: 0,
    projects: [
      {
        resolve,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
        },
      },
      {
        resolve,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Two files at a time: most integration tests wait on the clock (phases, faults, start-up), not
          // on the CPU, and every test is written to hold on a machine with a busy neighbour.
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
      {
        resolve,
        test: {
          // Tests that judge the host's quiet itself (a neighbour marks runs disturbed): after the others,
          // one file at a time.
          name: "integration-alone",
          include: ["test/integration-alone/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
