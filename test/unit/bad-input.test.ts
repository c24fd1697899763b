/**
 * Bad input, as a user types it: scenario files, flags, target files and
 * compare inputs. Every case exits 2, names the file or flag and the field at
 * fault, and starts nothing (no registered stack, no native temp dir; the
 * native provider registers before it starts anything).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../harness/cli/main.ts";
import { sampleReport } from "../fixtures/reports/sample-report.ts";
import { captureWorld } from "../helpers/capture-world.ts";
import { runRehearse } from "../helpers/rehearse-process.ts";

const dir = mkdtempSync(join(tmpdir(), "rehearse-unit-bad-"));
let files = 0;

/** Writes a file for one case; `.ts` files are scenarios. */
function file(text: string, ext = "ts"): string {
  const path = join(dir, `case-${++files}.${ext}`);
  writeFileSync(path, text);
  return path;
}

const OPS = `workload: { ops: { select: ({ db }) => db.query("SELECT 1") } }`;
const LOAD = `scenarios: { s: { executor: "constant-arrival-rate", exec: "select", rate: 10, duration: "10s", preAllocatedVUs: 2 } }`;
/** A scenario: the valid parts, then whatever the case adds or replaces (later keys win). */
const scenario = (fields: string) => file(`export default { ${OPS}, ${LOAD}, ${fields} };\n`);
const json = (value: unknown) => file(JSON.stringify(value), "json");
const target = (extra: Record<string, unknown> = {}) =>
  json({
    postgres: "postgres://u:p@127.0.0.1:5432/db",
    pgbouncer: "postgres://u:p@127.0.0.1:6432/db",
    redis: "redis://127.0.0.1:6379",
    ...extra,
  });

function nativeTempDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith("rehearse-native-"));
}

interface Case {
  what: string;
  /** Run the real CLI as a child process (Node's own loader). */
  child?: true;
  argv: () => string[];
  /** Every string must appear in stderr: the file or flag, and the field. */
  says: (string | RegExp)[];
}

const runCase = (...args: string[]) => ["run", ...args, "--provider", "native"];

const CASES: Case[] = [
  // Scenario files
  { what: "no workload", argv: () => runCase(file(`export default { ${LOAD} };\n`)), says: ["workload: is required"] },
  {
    what: "an unknown reference workload",
    argv: () => runCase(scenario(`workload: { reference: "crm" }`)),
    says: ["workload.reference: 'crm'"],
  },
  {
    what: "a negative seed",
    argv: () => runCase(scenario("seed: { scale: -1 }")),
    says: ["seed.scale: must be a whole number"],
  },
  {
    what: "the reference workload unseeded",
    argv: () => runCase(scenario(`workload: { reference: "saas" }`)),
    says: ["seed.scale: the saas workload needs seeded data"],
  },
  {
    what: "an op that is not a function",
    argv: () => runCase(scenario(`workload: { ops: { select: 42 } }`)),
    says: ["workload.ops.select: must be a function"],
  },
  {
    what: "a zero cache TTL",
    argv: () => runCase(scenario(`workload: { ops: { select: () => 1 }, cacheTtlSeconds: 0 }`)),
    says: ["workload.cacheTtlSeconds"],
  },
  {
    what: "a client pool of 0",
    argv: () => runCase(scenario(`workload: { ops: { select: () => 1 }, client: { poolSize: 0 } }`)),
    says: ["workload.client.poolSize"],
  },
  {
    what: "no load at all",
    argv: () => runCase(scenario("scenarios: {}")),
    says: ["scenarios: at least one is needed"],
  },
  {
    what: "an executor k6 lacks",
    argv: () => runCase(scenario(`scenarios: { s: { executor: "burst", exec: "select" } }`)),
    says: ["scenarios.s.executor"],
  },
  {
    what: "a negative rate",
    argv: () =>
      runCase(
        scenario(
          `scenarios: { s: { executor: "constant-arrival-rate", exec: "select", rate: -5, duration: "1s", preAllocatedVUs: 1 } }`,
        ),
      ),
    says: ["scenarios.s.rate"],
  },
  {
    what: "a duration that is not one",
    argv: () =>
      runCase(scenario(`scenarios: { s: { executor: "constant-vus", exec: "select", vus: 1, duration: "soon" } }`)),
    says: ["scenarios.s.duration: 'soon' is not a duration"],
  },
  {
    what: "an exec naming no op",
    argv: () =>
      runCase(scenario(`scenarios: { s: { executor: "constant-vus", exec: "checkout", vus: 1, duration: "1s" } }`)),
    says: ["scenarios.s.exec: no op named 'checkout'"],
  },
  {
    what: "an executor option k6 lacks",
    argv: () =>
      runCase(
        scenario(
          `scenarios: { s: { executor: "constant-vus", exec: "select", vus: 1, duration: "1s", warmup: "1s" } }`,
        ),
      ),
    says: ["scenarios.s.warmup: unknown option"],
  },
  {
    what: "an empty phase list",
    argv: () => runCase(scenario("phases: []")),
    says: ["phases: must be a non-empty list"],
  },
  {
    what: "a phase name with spaces",
    argv: () => runCase(scenario(`phases: [{ name: "the fault", duration: "10s" }]`)),
    says: ["phases[0].name"],
  },
  {
    what: "a phase named twice",
    argv: () => runCase(scenario(`phases: [{ name: "a", duration: "5s" }, { name: "a", duration: "5s" }]`)),
    says: ["phases[1].name: 'a' is used twice"],
  },
  {
    what: "a phase of no length",
    argv: () => runCase(scenario(`phases: [{ name: "a", duration: "0s" }]`)),
    says: ["phases[0].duration"],
  },
  {
    what: "phases longer than the load",
    argv: () => runCase(scenario(`phases: [{ name: "a", duration: "10s" }, { name: "b", duration: "5s" }]`)),
    says: ["phases: they last 15s but the load lasts 10s", "'b'"],
  },
  {
    what: "a baseline that is no phase",
    argv: () => runCase(scenario(`phases: [{ name: "a", duration: "10s" }], baseline: "warm"`)),
    says: ["baseline: no phase named 'warm'"],
  },
  {
    what: "a negative recovery tolerance",
    argv: () => runCase(scenario("recovery: { tolerance: -1 }")),
    says: ["recovery.tolerance"],
  },
  {
    what: "a recovery window that is not a duration",
    argv: () => runCase(scenario(`recovery: { stableFor: "a while" }`)),
    says: ["recovery.stableFor"],
  },
  {
    what: "an action rehearse lacks",
    argv: () => runCase(scenario(`actions: [{ at: "1s", action: "drop-database" }]`)),
    says: ["actions[0].action"],
  },
  {
    what: "an action at no time",
    argv: () => runCase(scenario(`actions: [{ at: "later", action: "flush-cache" }]`)),
    says: ["actions[0].at: 'later' is not a duration"],
  },
  {
    what: "an action after the load ended",
    argv: () => runCase(scenario(`actions: [{ at: "12s", action: "flush-cache" }]`)),
    says: ["actions[0].at: 12s is not before the load ends (at 10s)"],
  },
  {
    what: "a freeze without a duration",
    argv: () => runCase(scenario(`actions: [{ at: "1s", action: "freeze", service: "redis" }]`)),
    says: ["actions[0].duration: freeze needs one"],
  },
  {
    what: "an action option that does not exist",
    argv: () => runCase(scenario(`actions: [{ at: "1s", action: "restart", service: "redis", force: true }]`)),
    says: ["actions[0].force: unknown option"],
  },
  {
    what: "allowExternal as text",
    argv: () => runCase(scenario(`actions: [{ at: "1s", action: "flush-cache", allowExternal: "yes" }]`)),
    says: ["actions[0].allowExternal: must be true or false"],
  },
  {
    what: "a burst of no workers",
    argv: () => runCase(scenario(`actions: [{ at: "1s", action: "deploy-burst", workers: 0 }]`)),
    says: ["actions[0].workers"],
  },
  {
    what: "an eviction policy Redis lacks",
    argv: () =>
      runCase(scenario(`actions: [{ at: "1s", action: "maxmemory", value: "1mb", policy: "lru", duration: "2s" }]`)),
    says: ["actions[0].policy"],
  },
  {
    what: "a maxmemory share of all of Redis' memory",
    argv: () => runCase(scenario(`actions: [{ at: "1s", action: "maxmemory", value: "100%", duration: "2s" }]`)),
    says: ['actions[0].value: must be a size such as "2mb", or a share of what the keys use such as "90%" (1–99%)'],
  },
  {
    what: "a metric rehearse lacks",
    argv: () => runCase(scenario(`thresholds: { http_reqs: ["count>1"] }`)),
    says: ["thresholds['http_reqs']: unknown metric"],
  },
  {
    what: "an expression k6 would reject",
    argv: () => runCase(scenario(`thresholds: { latency: ["p95 < 10"] }`)),
    says: ["thresholds['latency'][0]: 'p95 < 10' is not an expression"],
  },
  {
    what: "abortOnFail as text",
    argv: () => runCase(scenario(`thresholds: { latency: [{ threshold: "p(95)<10", abortOnFail: "yes" }] }`)),
    says: ["thresholds['latency'][0].abortOnFail: must be true or false"],
  },
  {
    what: "a misspelt threshold field",
    argv: () => runCase(scenario(`thresholds: { latency: [{ threshold: "p(95)<10", abortOnFial: true }] }`)),
    says: ["thresholds['latency'][0].abortOnFial: unknown field"],
  },
  {
    what: "a threshold on an op that does not exist",
    argv: () => runCase(scenario(`thresholds: { "latency{op:checkout}": ["p(95)<10"] }`)),
    says: ["no op named 'checkout'"],
  },
  {
    what: "a threshold on a phase that does not exist",
    argv: () => runCase(scenario(`thresholds: { "latency{phase:fault}": ["p(95)<10"] }`)),
    says: ["no phase named 'fault'"],
  },
  {
    what: "a pool mode PgBouncer lacks",
    argv: () => runCase(scenario(`stack: { pgbouncer: { poolMode: "bogus" } }`)),
    says: ["stack.pgbouncer.poolMode"],
  },
  {
    what: "a Redis maxmemory that is not a size",
    argv: () => runCase(scenario(`stack: { redis: { maxmemory: "lots" } }`)),
    says: ["stack.redis.maxmemory"],
  },
  {
    // In a child process: under vitest, import() goes through its own transformer, not Node's.
    what: "a syntax error",
    child: true,
    argv: () => runCase(file("export default {\n  workload: { ops: { a: () => ) } },\n};\n")),
    says: ["cannot be loaded: line 2, column 31: Unexpected token"],
  },
  {
    what: "no default export",
    argv: () => runCase(file("export const scenario = {};\n")),
    says: ["must `export default defineScenario"],
  },
  {
    what: "a scenario file that does not exist",
    argv: () => runCase(join(dir, "nope.ts")),
    says: ["nope.ts", "file does not exist"],
  },
  // The app under test
  {
    what: "an app without a command",
    argv: () => runCase(scenario(`app: { ready: "/health" }`)),
    says: ["app.command: is required"],
  },
  {
    what: "an app of no instances",
    argv: () => runCase(scenario(`app: { command: "node s.js", instances: 0 }`)),
    says: ["app.instances: must be a whole number 1–64"],
  },
  {
    what: "an app ready path that is not a path",
    argv: () => runCase(scenario(`app: { command: "node s.js", ready: "health" }`)),
    says: ["app.ready: must be a path"],
  },
  {
    what: "an app folder that does not exist",
    argv: () => runCase(scenario(`app: { command: "node s.js", cwd: "no-such-folder" }`)),
    says: ["app.cwd:", "no-such-folder is not a folder"],
  },
  {
    what: "a setup command that is not found",
    argv: () => runCase(scenario(`app: { command: "node s.js", setup: ["migrate-it --now"] }`)),
    says: ["app.setup[0]: 'migrate-it' is not found on PATH"],
  },
  {
    what: "npm start without a start script",
    argv: () => {
      mkdirSync(join(dir, "no-start"), { recursive: true });
      writeFileSync(join(dir, "no-start", "package.json"), JSON.stringify({ scripts: { test: "vitest" } }));
      return runCase(scenario(`app: { command: "npm start", cwd: "no-start" }`));
    },
    says: ["app.command:", 'no-start/package.json has no "start" script (scripts: test)'],
  },
  {
    what: "npm run in a folder without package.json",
    argv: () => runCase(scenario(`app: { command: "node s.js", setup: ["npm run migrate"] }`)),
    says: ["app.setup[0]: npm needs a package.json in"],
  },
  {
    what: "an app port out of range",
    argv: () => runCase(scenario(`app: { command: "node s.js", port: 70000 }`)),
    says: ["app.port: must be a whole number 1–65535 (got 70000)"],
  },
  {
    what: "a bad stop timeout and drain",
    argv: () => runCase(scenario(`app: { command: "node s.js", stopTimeout: "0s", drain: "soon" }`)),
    says: ["app.stopTimeout: must be longer than 0", "app.drain: 'soon' is not a duration"],
  },
  {
    what: "a rolling deploy with maxSurge and maxUnavailable both 0",
    argv: () =>
      runCase(
        scenario(
          `app: { command: "node s.js" }, actions: [{ at: "1s", action: "app-restart", mode: "rolling", maxSurge: 0, maxUnavailable: "0%" }]`,
        ),
      ),
    says: ["actions[0].maxSurge: maxSurge and maxUnavailable cannot both be 0"],
  },
  {
    what: "maxSurge on an all-at-once deploy",
    argv: () =>
      runCase(scenario(`app: { command: "node s.js" }, actions: [{ at: "1s", action: "app-restart", maxSurge: 1 }]`)),
    says: ['actions[0].mode: maxSurge and maxUnavailable take mode: "rolling"'],
  },
  {
    what: "recovery tolerance (no longer used)",
    argv: () => runCase(scenario(`recovery: { tolerance: 0.2 }`)),
    says: ["recovery.tolerance: no longer used"],
  },
  {
    what: "a misspelt app field",
    argv: () => runCase(scenario(`app: { command: "node s.js", instance: 2 }`)),
    says: ["app.instance: unknown field"],
  },
  {
    what: "a deploy without an app",
    argv: () => runCase(scenario(`actions: [{ at: "1s", action: "app-restart" }]`)),
    says: ["actions[0]: needs the scenario's app block"],
  },
  {
    what: "freezing an app the scenario does not have",
    argv: () => runCase(scenario(`actions: [{ at: "1s", action: "freeze", service: "app", duration: "1s" }]`)),
    says: ['actions[0].service: "app" needs the scenario\'s app block'],
  },
  // Flags
  {
    what: "a duration scale of 0",
    argv: () => runCase(scenario(""), "--duration-scale=0"),
    says: ["--duration-scale: '0' is not a positive number"],
  },
  {
    what: "a misspelt flag",
    argv: () => runCase(scenario(""), "--duraton-scale", "2"),
    says: ["unknown option '--duraton-scale' (did you mean --duration-scale?)"],
  },
  { what: "a misspelt command", argv: () => ["rnu", "x.ts"], says: ["unknown command 'rnu' (did you mean run?)"] },
  {
    what: "a provider that does not exist",
    argv: () => ["run", scenario(""), "--provider", "k8s"],
    says: ["--provider: 'k8s' is not one of"],
  },
  {
    what: "the external provider without a target",
    argv: () => ["run", scenario(""), "--provider", "external"],
    says: ["--provider external: needs --target"],
  },
  {
    what: "a target with the native provider",
    argv: () => runCase(scenario(""), "--target", target()),
    says: ["--target: a target file selects the external provider, not native"],
  },
  {
    what: "a pool size of 0",
    argv: () => runCase(scenario(""), "--pool-size=0"),
    says: ["--pool-size: '0' must be ≥ 1"],
  },
  {
    what: "a log level pino lacks",
    argv: () => runCase(scenario(""), "--log-level", "loud"),
    says: ["--log-level: 'loud' is not one of"],
  },
  {
    what: "a negative compare tolerance",
    argv: () => runCase(scenario(""), "--tolerance=-1"),
    says: ["--tolerance: '-1' is not a non-negative number"],
  },
  // Target files (an external target: nothing may connect before they are sound)
  {
    what: "a target that is not JSON",
    argv: () => ["run", scenario(""), "--target", file("{ postgres: ", "json")],
    says: ["target file", "is not valid JSON"],
  },
  {
    what: "a target with an unknown field",
    argv: () => ["run", scenario(""), "--target", target({ mysql: "x" })],
    says: ["mysql: unknown field"],
  },
  {
    what: "a target off loopback",
    argv: () => ["run", scenario(""), "--target", target({ redis: "redis://10.1.2.3:6379" })],
    says: ["redis: host 10.1.2.3 is not on loopback"],
  },
  {
    what: "a target naming an unset variable",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a target file's ${VAR}, not a template
    argv: () => ["run", scenario(""), "--target", target({ pgbouncer: "postgres://u:${NOPE_PW}@127.0.0.1:6432/db" })],
    says: ["pgbouncer: environment variable NOPE_PW is not set"],
  },
  {
    what: "a target file that does not exist",
    argv: () => ["run", scenario(""), "--target", join(dir, "none.json")],
    says: ["target file", "cannot be read"],
  },
  {
    what: "a restart on an external target",
    argv: () => [
      "run",
      scenario(`actions: [{ at: "1s", action: "restart", service: "redis", allowExternal: true }]`),
      "--target",
      target(),
    ],
    says: ["actions[0]: restart cannot run on an external target", "cannot stop, start, freeze or kill"],
  },
  {
    what: "chaos on an external target without the opt-in",
    argv: () => [
      "run",
      scenario(`actions: [{ at: "1s", action: "pgbouncer-pause", duration: "2s" }]`),
      "--target",
      target(),
    ],
    says: ["actions[0]: pgbouncer-pause on an external target needs `allowExternal: true`"],
  },
  {
    what: "seeding an external target",
    argv: () => [
      "run",
      scenario(`workload: { reference: "saas", ops: { select: () => 1 } }, seed: { scale: 100 }`),
      "--target",
      target(),
    ],
    says: ["seed: the reference workload's seeding TRUNCATEs and refills tables", '"allowSeed": true'],
  },
  {
    what: "a seed function against an external target",
    argv: () => ["run", scenario("seed: async () => {}"), "--target", target()],
    says: ["seed: the scenario's seed function would run against external and write there", '"allowSeed": true'],
  },
  {
    what: "an app block and a target without app.baseUrl: the app would start against staging",
    argv: () => ["run", scenario(`app: { command: "node s.js" }`), "--target", target()],
    says: [
      "app: the scenario would start its app ('node s.js') here, against external's databases",
      '"allowApp": true',
    ],
  },
  {
    what: "setup commands against an external target, the app allowed but not its setup",
    argv: () => [
      "run",
      scenario(`app: { command: "node s.js", setup: ["node migrate.js", "node seed.js"] }`),
      "--target",
      target({ allowApp: true }),
    ],
    says: [
      "app.setup[0]: 'node migrate.js' would run against external",
      "app.setup[1]: 'node seed.js' would run against external",
      '"allowSetup": true',
    ],
  },
  {
    what: "an opt-in that is not a boolean",
    argv: () => ["run", scenario(""), "--target", target({ allowSeed: "yes" })],
    says: ["allowSeed: must be true or false"],
  },
  {
    what: "http ops with no app and no target",
    argv: () =>
      runCase(
        file(
          `export default { workload: { ops: { page: ({ http }) => http.get("/") } }, ${LOAD.replace('"select"', '"page"')} };\n`,
        ),
      ),
    says: ["workload.ops.page: uses http, but there is no app to send it to", "--target"],
  },
  {
    what: "http ops on a target without app.baseUrl",
    argv: () => [
      "run",
      file(
        `export default { workload: { ops: { page: (ctx) => ctx.http.get("/") } }, ${LOAD.replace('"select"', '"page"')} };\n`,
      ),
      "--target",
      target(),
    ],
    says: ["workload.ops.page: uses http", '"app": { "baseUrl"'],
  },
  // Capacity inputs
  {
    what: "capacity of a closed-loop scenario",
    argv: () => [
      "capacity",
      scenario(`scenarios: { s: { executor: "constant-vus", exec: "select", vus: 2, duration: "5s" } }`),
      "--provider",
      "native",
    ],
    says: ["no constant-arrival-rate or ramping-arrival-rate scenario"],
  },
  {
    what: "a capacity budget that is not k6's grammar",
    argv: () => ["capacity", scenario(""), "--budget", "p(95)<fast", "--provider", "native"],
    says: ["--budget 'latency=p(95)<fast'", "is not an expression like"],
  },
  {
    what: "a capacity --op the scenario does not run",
    argv: () => ["capacity", scenario(""), "--op", "dashbord", "--provider", "native"],
    says: ["--op: 'dashbord' is not an op"],
  },
  {
    what: "capacity flags out of range",
    argv: () => [
      "capacity",
      scenario(""),
      "--precision",
      "0",
      "--start=-5",
      "--step-duration",
      "1s",
      "--provider",
      "native",
    ],
    says: ["--precision: '0'", "--start: '-5'", "--step-duration: '1s' is shorter than 2s"],
  },
  {
    what: "a capacity target rate that is not a number",
    argv: () => ["capacity", scenario(""), "--target-rate", "lots", "--provider", "native"],
    says: ["--target-rate: 'lots' is not a positive number"],
  },
  // Compare inputs
  {
    what: "compare with one report",
    argv: () => ["compare", json(sampleReport())],
    says: ["two reports or two directories are required"],
  },
  {
    what: "compare with a report that does not exist",
    argv: () => ["compare", join(dir, "a.json"), json(sampleReport())],
    says: ["a.json", "file does not exist"],
  },
  {
    what: "compare with a file that is not JSON",
    argv: () => ["compare", file("nope", "json"), json(sampleReport())],
    says: ["Unexpected token"],
  },
  {
    what: "compare with another schema version",
    argv: () => ["compare", json({ ...sampleReport(), schemaVersion: 7 }), json(sampleReport())],
    says: ["schemaVersion: 7"],
  },
  {
    what: "compare two scenarios",
    argv: () => ["compare", json(sampleReport()), json({ ...sampleReport(), scenario: "checkout" })],
    says: ["scenario: 'sample' vs 'checkout'"],
  },
  {
    what: "compare with a runs directory that holds no report",
    argv: () => {
      const baselines = mkdtempSync(join(dir, "baselines-"));
      writeFileSync(join(baselines, "sample.json"), JSON.stringify(sampleReport()));
      return ["compare", baselines, mkdtempSync(join(dir, "empty-runs-"))];
    },
    says: ["nothing to compare", "no run report in it"],
  },
  {
    what: "compare directories whose runs are of another scenario's settings",
    argv: () => {
      const baselines = mkdtempSync(join(dir, "baselines-"));
      const runs = mkdtempSync(join(dir, "runs-"));
      writeFileSync(join(baselines, "sample.json"), JSON.stringify(sampleReport()));
      const other = sampleReport();
      other.settings = { ...other.settings, pgbouncer: { poolMode: "session", defaultPoolSize: 20 } };
      writeFileSync(join(runs, "report.json"), JSON.stringify(other));
      return ["compare", baselines, runs];
    },
    says: ["runs that cannot be compared", "sample: PgBouncer settings differ"],
  },
  {
    what: "a --repeat that is not a count",
    argv: () => runCase(scenario(""), "--repeat", "0"),
    says: ["--repeat: '0' is not a whole number from 1 to 20"],
  },
  {
    what: "a --segment that is not i/N",
    argv: () => runCase(scenario(""), "--segment", "4/3"),
    says: ["--segment: '4/3': i must be 1 to 3"],
  },
  {
    what: "segments of a run without a shared start",
    argv: () => runCase(scenario(""), "--segment", "2/3"),
    says: ["--segment: needs --start-at"],
  },
  {
    what: "a --start-at in the past or without its zone",
    argv: () => runCase(scenario(""), "--segment", "1/2", "--start-at", "2020-01-01T00:00:00"),
    says: ["--start-at: '2020-01-01T00:00:00' is not an ISO 8601 time"],
  },
  {
    what: "a --start-at already past",
    argv: () => runCase(scenario(""), "--segment", "1/2", "--start-at", "2020-01-01T00:00:00Z"),
    says: ["--start-at: '2020-01-01T00:00:00Z' is ", "s in the past (a part may start at most 1 s late)"],
  },
  {
    what: "--load-only without --segment",
    argv: () => runCase(scenario(""), "--load-only"),
    says: ["--load-only: only with --segment"],
  },
  {
    what: "segments of a run without a target they all drive",
    argv: () => runCase(scenario(""), "--segment", "1/2", "--start-at", new Date(Date.now() + 60_000).toISOString()),
    says: ["the parts of one run drive one system: give every part the same --target"],
  },
  {
    what: "merge of reports that are not parts",
    argv: () => ["merge", json(sampleReport()), "--out", join(dir, "merged-never")],
    says: ["not a segment's part"],
  },
  {
    what: "run --compare with a run of another scenario",
    argv: () => runCase(scenario(""), "--compare", json(sampleReport())),
    says: ["--compare", "it is a run of 'sample'"],
  },
];

async function inProcess(args: string[], env: Record<string, string>) {
  const world = captureWorld(env);
  return { code: await main(args, world), err: world.err() };
}

async function inChild(args: string[], env: Record<string, string>) {
  const run = await runRehearse(args, env, 30_000);
  return { code: run.code, err: run.stderr };
}

describe("bad input: exit 2, the field named, nothing started", () => {
  it(`has at least 40 distinct cases (${CASES.length})`, () => {
    expect(new Set(CASES.map((c) => c.what)).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of CASES) {
    it(c.what, async () => {
      const stateDir = join(mkdtempSync(join(dir, "state-")), "state");
      const out = join(dir, `out-${files}`);
      const before = nativeTempDirs();
      const env = { PATH: process.env.PATH ?? "", REHEARSE_STATE_DIR: stateDir };
      const argv = c.argv();
      const args = argv[0] === "run" ? [...argv, "--out", out] : argv;
      const { code, err } = c.child ? await inChild(args, env) : await inProcess(args, env);
      expect(code, err).toBe(2);
      for (const s of c.says) expect(err).toMatch(s);
      expect(existsSync(stateDir)).toBe(false);
      expect(existsSync(out)).toBe(false); // not even the log file
      expect(nativeTempDirs().filter((d) => !before.includes(d))).toEqual([]);
    });
  }
});
