/**
 * The app under test, as a scenario's `app` block gives it: checked once
 * (every problem with its field), then a typed spec the fleet runs.
 */
import { dirname, resolve } from "node:path";
import { parseDuration } from "../../core/duration.ts";

export interface AppDefinition {
  /** Run with `sh -c`, e.g. "node server.js" or "npm start". */
  command: string;
  /** Relative to the scenario file's folder. Default: that folder. */
  cwd?: string;
  /** Extra environment; `{pgbouncer}`, `{postgres}`, `{redis}` and `{port}` are replaced. */
  env?: Record<string, string>;
  /** A fixed port for the first instance (others get free ones). Default: a free loopback port each. */
  port?: number;
  /** The path that must answer 2xx before an instance counts as ready. Default "/". */
  ready?: string;
  /** Instances behind the http client's round robin. Default 1. */
  instances?: number;
  /** Sent to the instance's process group to stop it; SIGKILL follows after the grace period. */
  stopSignal?: "SIGTERM" | "SIGINT" | "SIGQUIT" | "SIGHUP";
  /** How long an instance may take to answer `ready`, and each setup command to finish. Default "30s". */
  startTimeout?: string;
  /** Commands run once, in order, before the first instance (migrations, seeds), with the same environment. */
  setup?: string[];
  /** Keep-alive connections the http client opens per instance. Default 64. */
  connections?: number;
}

export interface AppSpec {
  command: string;
  cwd: string;
  env: Record<string, string>;
  port: number | undefined;
  ready: string;
  instances: number;
  stopSignal: NodeJS.Signals;
  startTimeoutMs: number;
  setup: string[];
  connections: number;
}

const APP_FIELDS = [
  "command",
  "cwd",
  "env",
  "port",
  "ready",
  "instances",
  "stopSignal",
  "startTimeout",
  "setup",
  "connections",
];
const SIGNALS = ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP"];

/** Every problem of the block, each named `app.field`; undefined spec when there are any. */
export function readApp(raw: unknown, scenarioPath: string, problems: string[]): AppSpec | undefined {
  if (raw === undefined) return undefined;
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    problems.push("app: must be { command, ready?, instances?, ... }");
    return undefined;
  }
  const app = raw as Record<string, unknown>;
  const found: string[] = [];
  const bad = (field: string, why: string) => found.push(`app.${field}: ${why}`);
  for (const key of Object.keys(app))
    if (!APP_FIELDS.includes(key)) bad(key, `unknown field (expected ${APP_FIELDS.join(", ")})`);
  if (typeof app.command !== "string" || app.command.trim() === "")
    bad("command", 'required: the command that starts the app, e.g. "node server.js"');
  if (app.cwd !== undefined && typeof app.cwd !== "string") bad("cwd", "must be a path");
  const env: Record<string, string> = {};
  if (app.env !== undefined) {
    if (!app.env || typeof app.env !== "object" || Array.isArray(app.env)) bad("env", "must be { NAME: value }");
    else
      for (const [name, value] of Object.entries(app.env)) {
        if (typeof value !== "string") bad(`env.${name}`, "must be a string");
        else env[name] = value;
      }
  }
  const int = (field: string, min: number, max: number) => {
    const v = app[field];
    if (v === undefined) return undefined;
    if (Number.isInteger(v) && (v as number) >= min && (v as number) <= max) return v as number;
    bad(field, `must be a whole number ${min}–${max}`);
    return undefined;
  };
  const port = int("port", 1, 65_535);
  const instances = int("instances", 1, 64) ?? 1;
  const connections = int("connections", 1, 10_000) ?? 64;
  const ready = app.ready ?? "/";
  if (typeof ready !== "string" || !ready.startsWith("/")) bad("ready", 'must be a path such as "/health"');
  const stopSignal = app.stopSignal ?? "SIGTERM";
  if (!SIGNALS.includes(stopSignal as string)) bad("stopSignal", `must be one of ${SIGNALS.join(", ")}`);
  const timeout = parseDuration(app.startTimeout ?? "30s");
  if (typeof timeout === "string" || timeout <= 0)
    bad("startTimeout", typeof timeout === "string" ? timeout : "must be longer than 0");
  const setup = app.setup ?? [];
  if (!Array.isArray(setup) || setup.some((c) => typeof c !== "string" || c.trim() === ""))
    bad("setup", 'must be a list of commands, e.g. ["node migrate.js"]');
  problems.push(...found);
  if (found.length > 0) return undefined;
  return {
    command: app.command as string,
    cwd: resolve(dirname(scenarioPath), (app.cwd as string | undefined) ?? "."),
    env,
    port,
    ready: ready as string,
    instances,
    stopSignal: stopSignal as NodeJS.Signals,
    startTimeoutMs: timeout as number,
    setup: setup as string[],
    connections,
  };
}

/** `{pgbouncer}`, `{postgres}`, `{redis}`, `{port}` in an env value, for apps that read other names. */
export function expandPlaceholders(value: string, values: Record<string, string>): string {
  return value.replace(/\{(pgbouncer|postgres|redis|port)\}/g, (match, name: string) => values[name] ?? match);
}
