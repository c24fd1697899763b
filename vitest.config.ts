import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Scenarios import "rehearse" as a user's would; in the working tree that is the sources
// (bin/rehearse.js does the same for the CLI with the "rehearse-source" condition).
const resolve = { alias: [{ find: /^rehearse$/, replacement: fileURLToPath(new URL("./index.ts", import.meta.url)) }] };

// Two suites: unit (pure logic, no servers, seconds) and integration (real
// Postgres, PgBouncer and Redis; containers and native processes). No retries:
// they hide timing bugs. (A few tests repeat a load once when the generator
// itself marks it invalid, never because an assertion failed.)
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
          // Stacks compete for 2 cores; one file at a time keeps timings honest.
          fileParallelism: false,
        },
      },
    ],
  },
});
