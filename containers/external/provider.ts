/**
 * External provider: an existing stack (e.g. staging) named by a target file.
 * Nothing is started or torn down; lifecycle chaos is refused here (it needs
 * an explicit per-action opt-in, which scenario actions will carry).
 */
import { randomBytes } from "node:crypto";
import { UnsupportedOperationError } from "../../core/errors.ts";
import { LocalListener } from "../../core/local-listener.ts";
import type { ProcStat } from "../../core/procfs.ts";
import { secretsOf } from "../../core/redact.ts";
import { execLocal } from "../exec-local.ts";
import { serviceEnv } from "../service-env.ts";
import type { LaunchPlan } from "../started-stack.ts";
import type { ExecOptions, ExecResult, ServiceHandle, ServiceName } from "../types.ts";
import { isLoopbackHost, type Target } from "./target-file.ts";

const REFUSAL = "rehearse does not own this stack; chaos on an external target needs an explicit opt-in per action";

class ExternalService implements ServiceHandle {
  readonly name: ServiceName;
  readonly port: number;
  private readonly env: Record<string, string>;
  /** On loopback: the process serving it here. */
  private readonly listener: LocalListener | undefined;

  constructor(name: ServiceName, url: string, path: string) {
    this.name = name;
    const parsed = new URL(url);
    this.port = Number(parsed.port || (name === "redis" ? 6379 : 5432));
    this.listener = isLoopbackHost(parsed.hostname.replace(/^\[|\]$/g, "")) ? new LocalListener(this.port) : undefined;
    const credentials = {
      user: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
      database: decodeURIComponent(parsed.pathname.slice(1)),
    };
    this.env = {
      PATH: path,
      LANG: "C.UTF-8",
      ...serviceEnv(name, { host: parsed.hostname.replace(/^\[|\]$/g, ""), port: this.port }, credentials),
    };
  }

  private refuse(operation: string): Promise<never> {
    return Promise.reject(new UnsupportedOperationError("external", `${operation} ${this.name}`, REFUSAL));
  }

  pause() {
    return this.refuse("pause");
  }
  unpause() {
    return this.refuse("unpause");
  }
  stop() {
    return this.refuse("stop");
  }
  kill() {
    return this.refuse("kill");
  }
  start() {
    return this.refuse("start");
  }
  async isRunning(): Promise<boolean> {
    return true;
  }
  /** On loopback (a `rehearse up` stack, a staging copy on this machine): the process listening on the port
   * and its descendants (Postgres' backends are the postmaster's children), so the sampler counts its CPU as
   * the server's, not as a neighbour's. Another machine's processes: rehearse cannot see them. */
  async hostPids(processes?: ProcStat[]): Promise<number[]> {
    return this.listener ? this.listener.pids(processes) : [];
  }

  exec(argv: string[], options?: ExecOptions): Promise<ExecResult> {
    return execLocal(argv, this.env, options);
  }
  async logTail(): Promise<string> {
    return "";
  }
  async remove(): Promise<void> {}
}

export function externalPlan(target: Target, path: string): LaunchPlan {
  const urls = {
    postgres: target.postgres,
    pgbouncer: target.pgbouncer,
    pgbouncerAdmin: target.pgbouncerAdmin,
    redis: target.redis,
  };
  const service = (name: ServiceName, url: string) => async () => new ExternalService(name, url, path);
  return {
    id: `ext-${randomBytes(4).toString("hex")}`,
    provider: "external",
    urls,
    secrets: secretsOf(Object.values(urls)),
    createDatabase: false,
    launch: {
      postgres: service("postgres", urls.postgres),
      pgbouncer: service("pgbouncer", urls.pgbouncer),
      redis: service("redis", urls.redis),
    },
    async release() {},
  };
}
