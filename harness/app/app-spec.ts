/**
 * The app under test, as a scenario's `app` block gives it: parsed once by a
 * schema into a typed spec (every problem with its field), then checked
 * against the machine — its folder exists, its commands can be found — so a
 * mistake is bad input before any server starts, not a 30 s wait for an app
 * that can never start.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { duration, oneOf, parseWith, wholeNumber } from "../../core/validation.ts";

export interface AppDefinition {
  /** Run with `sh -c`, e.g. "node server.js" or "npm start". */
  command: string;
  /** Relative to the scenario file's folder. Default: that folder. */
  cwd?: string;
  /** Extra environment; `{pgbouncer}`, `{postgres}`, `{redis}` and `{port}` are replaced. */
  env?: Record<string, string>;
  /** The setup commands' environment on top of the app's (default: the app's, with Postgres directly in
   * place of PgBouncer: migrations do not belong behind transaction pooling). */
  setupEnv?: Record<string, string>;
  /** A fixed port for the first instance (others get free ones). Default: a free loopback port each. */
  port?: number;
  /** The path that must answer 2xx before an instance counts as ready. Default "/". */
  ready?: string;
  /** Instances behind the http client's round robin. Default 1. */
  instances?: number;
  /** Sent to the instance's process group to stop it. Default SIGTERM. */
  stopSignal?: "SIGTERM" | "SIGINT" | "SIGQUIT" | "SIGHUP";
  /** How long every process of a stopped instance's group may take to exit before SIGKILL (Kubernetes'
   * terminationGracePeriodSeconds). Default "30s". */
  stopTimeout?: string;
  /** How long a stopped instance stays out of rotation before its stop signal (a preStop sleep, a load
   * balancer's deregistration delay). Default "0s". */
  drain?: string;
  /** How long an instance may take to answer `ready`, and each setup command to finish. Default "30s". */
  startTimeout?: string;
  /** Commands run once, in order, before the first instance (migrations, seeds), with `setupEnv`. */
  setup?: string[];
  /** Keep-alive connections the http client opens per instance. Default 64. */
  connections?: number;
}

export interface AppSpec {
  command: string;
  cwd: string;
  env: Record<string, string>;
  setupEnv: Record<string, string>;
  port: number | undefined;
  ready: string;
  instances: number;
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
  drainMs: number;
  startTimeoutMs: number;
  setup: string[];
  connections: number;
}

const envBlock = z.record(z.string(), z.string({ error: "must be a string" }), { error: "must be { NAME: value }" });
const command = (example: string) =>
  z
    .string({ error: `is required: the command that starts the app, e.g. "${example}"` })
    .trim()
    .min(1, { error: `is required: the command that starts the app, e.g. "${example}"` });
const positive = () => duration().refine((ms) => ms > 0, { error: "must be longer than 0" });

const AppSchema = z.strictObject({
  command: command("node server.js"),
  cwd: z.string({ error: "must be a path" }).optional(),
  env: envBlock.default({}),
  setupEnv: envBlock.default({}),
  port: wholeNumber(1, 65_535).optional(),
  ready: z
    .string({ error: 'must be a path such as "/health"' })
    .startsWith("/", { error: 'must be a path such as "/health"' })
    .default("/"),
  instances: wholeNumber(1, 64).default(1),
  stopSignal: oneOf(["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP"]).default("SIGTERM"),
  stopTimeout: positive().default(30_000),
  drain: duration().default(0),
  startTimeout: positive().default(30_000),
  setup: z
    .array(z.string().trim().min(1, { error: "must not be empty" }), {
      error: 'must be a list of commands, e.g. ["node migrate.js"]',
    })
    .default([]),
  connections: wholeNumber(1, 10_000).default(64),
});

/** Every problem of the block, each named `app.field`; undefined spec when there are any. */
export function readApp(
  raw: unknown,
  scenarioPath: string,
  problems: string[],
  path: string | undefined = process.env.PATH,
): AppSpec | undefined {
  if (raw === undefined) return undefined;
  const parsed = parseWith(AppSchema, raw, "app");
  if (!parsed.ok) {
    problems.push(...parsed.problems);
    return undefined;
  }
  const app = parsed.value;
  const spec: AppSpec = {
    command: app.command,
    cwd: resolve(dirname(scenarioPath), app.cwd ?? "."),
    env: app.env,
    setupEnv: app.setupEnv,
    port: app.port,
    ready: app.ready,
    instances: app.instances,
    stopSignal: app.stopSignal as NodeJS.Signals,
    stopTimeoutMs: app.stopTimeout,
    drainMs: app.drain,
    startTimeoutMs: app.startTimeout,
    setup: app.setup,
    connections: app.connections,
  };
  const found = machineProblems(spec, path ?? "");
  problems.push(...found);
  return found.length > 0 ? undefined : spec;
}

/** What only the machine can tell: the folder exists, each command's program is found, npm's scripts exist. */
function machineProblems(spec: AppSpec, path: string): string[] {
  if (!existsSync(spec.cwd) || !statSync(spec.cwd).isDirectory()) {
    return [`app.cwd: ${spec.cwd} is not a folder (cwd is relative to the scenario file)`];
  }
  const problems: string[] = [];
  const check = (field: string, line: string) => {
    const why = commandProblem(line, spec.cwd, path);
    if (why) problems.push(`${field}: ${why}`);
  };
  check("app.command", spec.command);
  for (const [i, line] of spec.setup.entries()) check(`app.setup[${i}]`, line);
  return problems;
}

/** The first word of a shell command, unless the line starts with shell syntax rehearse will not guess at. */
function programOf(line: string): string | undefined {
  const words = line.trim().split(/\s+/);
  // Leading NAME=value assignments are the environment, not the program.
  const first = words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  if (!first || /[;&|<>()$`"'\\{}*?]/.test(first)) return undefined;
  return first;
}

function onPath(program: string, path: string): boolean {
  return path.split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, program)));
}

/** Why a command cannot run as written, or undefined when it can (as far as can be told without running it). */
export function commandProblem(line: string, cwd: string, path: string): string | undefined {
  const program = programOf(line);
  if (!program) return undefined;
  const builtins = ["cd", "exec", "env", "true", ":", ".", "export", "test", "["];
  if (builtins.includes(program)) return undefined;
  if (program.includes("/")) {
    const at = isAbsolute(program) ? program : join(cwd, program);
    return existsSync(at) ? undefined : `'${program}' does not exist (from ${cwd})`;
  }
  if (!onPath(program, path) && !existsSync(join(cwd, "node_modules", ".bin", program)))
    return `'${program}' is not found on PATH (the command is '${line}')`;
  const npm = /^npm\s+(?:run(?:-script)?\s+(\S+)|(start|test|stop|restart))\b/.exec(line.trim());
  const script = npm?.[1] ?? npm?.[2];
  if (script) {
    const manifest = join(cwd, "package.json");
    if (!existsSync(manifest)) return `npm needs a package.json in ${cwd}`;
    try {
      const scripts =
        (JSON.parse(readFileSync(manifest, "utf8")) as { scripts?: Record<string, string> }).scripts ?? {};
      // npm start falls back to `node server.js` when there is a server.js.
      const fallback = script === "start" && existsSync(join(cwd, "server.js"));
      if (!(script in scripts) && !fallback)
        return `${join(cwd, "package.json")} has no "${script}" script (scripts: ${Object.keys(scripts).join(", ") || "none"})`;
    } catch (error) {
      return `${manifest} is not valid JSON: ${(error as Error).message}`;
    }
  }
  return undefined;
}

/** `{pgbouncer}`, `{postgres}`, `{redis}`, `{port}` in an env value, for apps that read other names. */
export function expandPlaceholders(value: string, values: Record<string, string>): string {
  return value.replace(/\{(pgbouncer|postgres|redis|port)\}/g, (match, name: string) => values[name] ?? match);
}
