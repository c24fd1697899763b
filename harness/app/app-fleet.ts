/**
 * The app under test's instances: setup commands once, then N instances on
 * free loopback ports with the stack's URLs in their environment, each
 * registered (its process group) for `rehearse clean`. The http client's
 * targets follow the instances that are up. Every instance is stopped on
 * every way out (`stop()` in a finally).
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import type { Registry, StackUrls } from "../../containers/index.ts";
import { freeLoopbackPorts } from "../../containers/ports.ts";
import { StackStartError } from "../../core/errors.ts";
import type { HttpTargets } from "../clients/http.ts";
import { AppInstance, type InstanceRecord } from "./app-instance.ts";
import { type AppSpec, expandPlaceholders } from "./app-spec.ts";

export interface AppFleetOptions {
  spec: AppSpec;
  urls: StackUrls;
  /** Where app-<n>.log and app-setup.log go. */
  logDir: string;
  registry: Registry;
  /** The environment the app inherits (PATH, HOME...). */
  baseEnv: Record<string, string | undefined>;
  targets: HttpTargets;
  signal: AbortSignal;
}

export interface SetupRecord {
  command: string;
  exitCode: number;
  ms: number;
}

export class AppFleet {
  readonly instances: AppInstance[] = [];
  readonly setupRecords: SetupRecord[] = [];
  private readonly options: AppFleetOptions;
  private readonly id = `app-${randomBytes(4).toString("hex")}`;

  constructor(options: AppFleetOptions) {
    this.options = options;
    mkdirSync(options.logDir, { recursive: true });
  }

  get spec(): AppSpec {
    return this.options.spec;
  }

  /** Instances running now. */
  get live(): AppInstance[] {
    return this.instances.filter((i) => i.running);
  }

  /** The environment of a command or instance: the stack's URLs, PORT, the spec's env with placeholders. */
  private envFor(port: number | undefined): Record<string, string> {
    const { urls, spec, baseEnv } = this.options;
    const values = { pgbouncer: urls.pgbouncer, postgres: urls.postgres, redis: urls.redis, port: String(port ?? "") };
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined) env[k] = v;
    Object.assign(env, {
      DATABASE_URL: urls.pgbouncer,
      DIRECT_DATABASE_URL: urls.postgres,
      REDIS_URL: urls.redis,
      ...(port !== undefined && { PORT: String(port), HOST: "127.0.0.1" }),
    });
    for (const [name, value] of Object.entries(spec.env)) env[name] = expandPlaceholders(value, values);
    return env;
  }

  /** The setup commands, in order, each bounded; a failure stops the run with the command's last lines. */
  async setup(): Promise<void> {
    const log = join(this.options.logDir, "app-setup.log");
    for (const command of this.spec.setup) {
      const t0 = performance.now();
      appendFileSync(log, `$ ${command}\n`);
      const result = await execa("sh", ["-c", command], {
        cwd: this.spec.cwd,
        env: this.envFor(undefined),
        extendEnv: false,
        all: true,
        reject: false,
        timeout: Math.max(this.spec.startTimeoutMs, 60_000),
        cancelSignal: this.options.signal,
        stdin: "ignore",
      });
      appendFileSync(log, `${String(result.all ?? "")}\n`);
      this.setupRecords.push({ command, exitCode: result.exitCode ?? 1, ms: Math.round(performance.now() - t0) });
      if (this.options.signal.aborted) throw new Error("stopped during the app's setup");
      if (result.exitCode !== 0) {
        const tail = String(result.all ?? "")
          .trimEnd()
          .split("\n")
          .slice(-15)
          .join("\n");
        throw new StackStartError(
          "app",
          `setup command '${command}' exited ${result.exitCode ?? "(killed)"}${result.timedOut ? " (timed out)" : ""}\n${tail}`,
        );
      }
    }
  }

  /** Starts `count` more instances at once and waits until each answers its ready path. */
  async start(count: number): Promise<AppInstance[]> {
    // A fixed port is the very first instance's; every other one gets a free port.
    const fixed = this.instances.length === 0 ? this.spec.port : undefined;
    const ports = [...(fixed ? [fixed] : []), ...(await freeLoopbackPorts(count - (fixed ? 1 : 0)))];
    const started = ports.map((port, i) =>
      AppInstance.spawn({
        command: this.spec.command,
        cwd: this.spec.cwd,
        env: this.envFor(port),
        port,
        log: join(this.options.logDir, `app-${this.instances.length + i + 1}.log`),
      }),
    );
    this.instances.push(...started);
    this.register();
    const results = await Promise.allSettled(
      started.map((i) => i.waitReady(this.spec.ready, this.spec.startTimeoutMs, this.options.signal)),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw new StackStartError("app", (failed.reason as Error).message);
    this.route();
    return started;
  }

  /** Stops these instances (all by default) with the stop signal; bounded. */
  async stop(which: AppInstance[] = this.instances): Promise<void> {
    await Promise.all(which.map((i) => i.stop(this.spec.stopSignal)));
    this.route();
  }

  /** Points the http client at the instances that are up. */
  route(): void {
    this.options.targets.setOrigins(this.live.filter((i) => i.record.readyAt !== null).map((i) => i.origin));
  }

  records(): InstanceRecord[] {
    return this.instances.map((i) => i.record);
  }

  /** Registered so `rehearse clean` kills the groups if rehearse dies before stopping them. */
  private register(): void {
    this.options.registry.write({
      id: this.id,
      provider: "native",
      ownerPid: process.pid,
      createdAt: new Date().toISOString(),
      tempDir: "",
      processGroups: this.instances.map((i) => i.pgid).filter((p): p is number => p !== undefined),
    });
  }

  /** Stops everything and forgets the registration. */
  async close(): Promise<void> {
    await this.stop();
    await this.options.targets.close();
    this.options.registry.remove(this.id);
  }
}
