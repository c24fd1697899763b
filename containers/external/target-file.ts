/**
 * The target file of the external provider: connection URLs of an existing
 * stack. Validated before anything connects, every problem reported at once
 * with its field. `${VAR}` in a URL is read from the environment, so
 * passwords need not live in the file.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { BadInputError } from "../../core/errors.ts";
import { ADMIN_DATABASE } from "../urls.ts";

const postgresUrl = z.string().refine((v) => /^postgres(ql)?:\/\//.test(v), "must be a postgres:// URL");
const redisUrl = z.string().refine((v) => /^rediss?:\/\//.test(v), "must be a redis:// or rediss:// URL");

const TargetSchema = z.strictObject({
  name: z.string().min(1).optional(),
  /** Postgres directly (for server-side signals and pg_dump). */
  postgres: postgresUrl,
  /** PgBouncer, the path the application uses. */
  pgbouncer: postgresUrl,
  /** PgBouncer's admin console; defaults to `pgbouncer` with database `pgbouncer`. */
  pgbouncerAdmin: postgresUrl.optional(),
  redis: redisUrl,
  /** Hosts off loopback that may receive traffic. Nothing else leaves this machine. */
  allowHosts: z.array(z.string().min(1)).default([]),
  /** The staging app: rehearse drives HTTP at it instead of starting the scenario's `app`. */
  app: z
    .strictObject({ baseUrl: z.string().refine((v) => /^https?:\/\//.test(v), "must be an http:// URL") })
    .optional(),
  /** Opt-ins for what writes to this stack: the app's setup commands (migrations, seeds), seeding (rehearse's
   * own, or the scenario's seed function), and starting the scenario's app here against it. */
  allowSetup: z.boolean({ error: "must be true or false" }).optional(),
  allowSeed: z.boolean({ error: "must be true or false" }).optional(),
  allowApp: z.boolean({ error: "must be true or false" }).optional(),
  // What `rehearse up --json` prints besides the URLs, so its line is a target file as it is. Not used.
  provider: z.string().optional(),
  id: z.string().optional(),
  versions: z.record(z.string(), z.string()).optional(),
});

export interface Target {
  name: string;
  postgres: string;
  pgbouncer: string;
  pgbouncerAdmin: string;
  redis: string;
  allowHosts: string[];
  app?: { baseUrl: string };
  /** What the target allows rehearse to write there (all false unless the file says so). */
  allow: { setup: boolean; seed: boolean; app: boolean };
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare);
}

const URL_FIELDS = ["postgres", "pgbouncer", "pgbouncerAdmin", "redis"] as const;

/** Reads and validates a target file; throws BadInputError naming the file and every bad field. */
export function loadTargetFile(file: string, env: Record<string, string | undefined>): Target {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new BadInputError(`target file ${file}`, [`cannot be read: ${(error as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new BadInputError(`target file ${file}`, [`is not valid JSON: ${(error as Error).message}`]);
  }
  const problems: string[] = [];
  if (raw && typeof raw === "object" && !Array.isArray(raw)) {
    raw = expandEnv(raw as Record<string, unknown>, env, problems);
  }
  const parsed = TargetSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.flatMap(describeIssue));
    problems.push(...hostProblems(raw));
    throw new BadInputError(`target file ${file}`, problems);
  }
  const data = parsed.data;
  const target: Target = {
    name: data.name ?? "external",
    postgres: data.postgres,
    pgbouncer: data.pgbouncer,
    pgbouncerAdmin: data.pgbouncerAdmin ?? withDatabase(data.pgbouncer, ADMIN_DATABASE),
    redis: data.redis,
    allowHosts: data.allowHosts,
    ...(data.app && { app: { baseUrl: data.app.baseUrl.replace(/\/$/, "") } }),
    allow: { setup: data.allowSetup === true, seed: data.allowSeed === true, app: data.allowApp === true },
  };
  problems.push(...hostProblems(target));
  if (problems.length > 0) throw new BadInputError(`target file ${file}`, problems);
  return target;
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => `${[...issue.path, key].join(".")}: unknown field (expected ${KNOWN_FIELDS})`);
  }
  return [`${issue.path.join(".") || "(file)"}: ${issue.message}`];
}

const KNOWN_FIELDS = Object.keys(TargetSchema.shape).join(", ");

/** The loopback rule for every URL field that is a string, even when other fields are wrong. */
function hostProblems(raw: unknown): string[] {
  if (!raw || typeof raw !== "object") return [];
  const record = raw as Record<string, unknown>;
  const allowHosts = Array.isArray(record.allowHosts) ? record.allowHosts.filter((h) => typeof h === "string") : [];
  const app = record.app as { baseUrl?: unknown } | undefined;
  const appProblem = typeof app?.baseUrl === "string" ? checkUrl("app.baseUrl", app.baseUrl, allowHosts) : undefined;
  return [...(appProblem ? [appProblem] : [])].concat(
    URL_FIELDS.flatMap((field) => {
      const value = record[field];
      const problem = typeof value === "string" ? checkUrl(field, value, allowHosts) : undefined;
      return problem ? [problem] : [];
    }),
  );
}

function checkUrl(field: string, url: string, allowHosts: string[]): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return `${field}: is not a valid URL`;
  }
  if (!host) return `${field}: has no host`;
  if (isLoopbackHost(host) || allowHosts.includes(host)) return undefined;
  return `${field}: host ${host} is not on loopback; list it in allowHosts to send traffic there`;
}

/** Replaces ${VAR} in string fields; an unset variable is a problem for that field. */
function expandEnv(
  raw: Record<string, unknown>,
  env: Record<string, string | undefined>,
  problems: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  for (const field of URL_FIELDS) {
    const value = out[field];
    if (typeof value !== "string") continue;
    out[field] = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name];
      if (found === undefined) {
        problems.push(`${field}: environment variable ${name} is not set`);
        return "";
      }
      return encodeURIComponent(found);
    });
  }
  return out;
}

function withDatabase(url: string, database: string): string {
  try {
    const parsed = new URL(url);
    parsed.pathname = `/${database}`;
    return parsed.toString();
  } catch {
    return url;
  }
}
