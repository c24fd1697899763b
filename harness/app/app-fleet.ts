/**
 * The app under test's instances: setup commands once, then N instances on
 * free loopback ports with the stack's URLs in their environment, each
 * registered (its process group) for `rehearse clean`. The http client sends
 * to the instances in rotation, as a load balancer in front of a Kubernetes
 * Deployment does: an instance joins once it is ready, and leaves before it is
 * stopped (then waits out its drain, gets the stop signal, and its group has
 * stopTimeout to exit). Every instance is stopped on every way out.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import type { Registry, StackUrls } from "../../containers/index.ts";
import { freeLoopbackPorts } from "../../containers/ports.ts";
import { StackStartError } from "../../core/errors.ts";
import { redactUrl } from "../../core/redact.ts";
import type { HttpTargets } from "../clients/http.ts";
import { AppInstance, type InstanceRecord } from "./app-instance.ts";
import { type AppSpec, expandPlaceholders } from "./app-spec.ts";

/** On a signal rehearse stops the app fast: a short grace instead of stopTimeout. */
const ABORT_STOP_MS = 2_000;

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

/** One instance's stop as a deploy saw it: out of rotation, drained, signalled, gone. */
export interface FleetStop {
  instance: AppInstance;
  drainedAt: number;
  drainMs: number;
  failedRequests: number;
}

/** A moment the rotation changed: how many ready instances received traffic from then on. */
export interface RotationChange {
  at: number;
  inRotation: number;
}

export class AppFleet {
  readonly instances: AppInstance[] = [];
  readonly setupRecords: SetupRecord[] = [];
  /** Every change of the rotation, in order (the report's no-ready-instance windows come from it). */
  readonly rotationLog: RotationChange[] = [];
  private readonly rotation = new Set<AppInstance>();
  private readonly options: AppFleetOptions;
  private readonly id = `app-${randomBytes(4).toString("hex")}`;

  constructor(options: AppFleetOptions) {
    this.options = options;
    mkdirSync(options.logDir, { recursive: true });
  }

  get spec(): AppSpec {
    return this.options.spec;
  }

  get targets(): HttpTargets {
    return this.options.targets;
  }

  /** Instances running now (in rotation or not). */
  get live(): AppInstance[] {
    return this.instances.filter((i) => i.running);
  }

  /** Instances receiving traffic now. */
  get inRotation(): AppInstance[] {
    return [...this.rotation].filter((i) => i.running);
  }

  /** The stack's URLs, PORT, the spec's env with placeholders. */
  private envFor(port: number | undefined, setup: boolean): Record<string, string> {
    const { urls, spec, baseEnv } = this.options;
    // Setup commands (migrations) reach Postgres directly: schema changes do not belong behind transaction pooling.
    const pooled = setup ? urls.postgres : urls.pgbouncer;
    const values = { pgbouncer: pooled, postgres: urls.postgres, redis: urls.redis, port: String(port ?? "") };
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined) env[k] = v;
    Object.assign(env, this.ownEnv(port, setup));
    for (const [name, value] of Object.entries(spec.env)) env[name] = expandPlaceholders(value, values);
    if (setup) for (const [name, value] of Object.entries(spec.setupEnv)) env[name] = expandPlaceholders(value, values);
    return env;
  }

  /** What rehearse itself puts in the environment (what a setup failure lists). */
  private ownEnv(port: number | undefined, setup: boolean): Record<string, string> {
    const { urls } = this.options;
    return {
      DATABASE_URL: setup ? urls.postgres : urls.pgbouncer,
      DIRECT_DATABASE_URL: urls.postgres,
      REDIS_URL: urls.redis,
      ...(port !== undefined && { PORT: String(port), HOST: "127.0.0.1" }),
    };
  }

  /** The setup commands, in order, each bounded; a failure stops the run with the command's last lines. */
  async setup(): Promise<void> {
    const log = join(this.options.logDir, "app-setup.log");
    for (const command of this.spec.setup) {
      const t0 = performance.now();
      appendFileSync(log, `$ ${command}\n`);
      const env = this.envFor(undefined, true);
      const result = await execa("sh", ["-c", command], {
        cwd: this.spec.cwd,
        env,
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
          `setup command '${command}' exited ${result.exitCode ?? "(killed)"}${result.timedOut ? " (timed out)" : ""}, with ${this.envSaid(env)}\n${tail}`,
        );
      }
    }
  }

  /** The variables rehearse and the scenario set, as a setup failure names them (passwords hidden). */
  private envSaid(env: Record<string, string>): string {
    const names = [
      ...Object.keys(this.ownEnv(undefined, true)),
      ...Object.keys(this.spec.env),
      ...Object.keys(this.spec.setupEnv),
    ];
    return [...new Set(names)]
      .filter((n) => env[n] !== undefined)
      .map((n) => `${n}=${/:\/\//.test(env[n] ?? "") ? redactUrl(env[n] ?? "") : env[n]}`)
      .join(" ");
  }

  /** Starts `count` instances at once; each joins the rotation as soon as it is ready. */
  async start(count: number): Promise<AppInstance[]> {
    const started = await this.spawn(count);
    const results = await Promise.allSettled(started.map((i) => this.joinWhenReady(i)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw new StackStartError("app", (failed.reason as Error).message);
    return started;
  }

  /** Spawns `count` instances (not yet ready, not in rotation). */
  async spawn(count: number): Promise<AppInstance[]> {
    // A fixed port is the very first instance's; every other one gets a free port.
    const fixed = this.instances.length === 0 ? this.spec.port : undefined;
    const ports = [...(fixed ? [fixed] : []), ...(await freeLoopbackPorts(count - (fixed ? 1 : 0)))];
    const started = ports.map((port, i) =>
      AppInstance.spawn({
        command: this.spec.command,
        cwd: this.spec.cwd,
        env: this.envFor(port, false),
        port,
        log: join(this.options.logDir, `app-${this.instances.length + i + 1}.log`),
      }),
    );
    this.instances.push(...started);
    this.register();
    return started;
  }

  /** Waits until the instance answers its ready path, then routes traffic to it. */
  async joinWhenReady(instance: AppInstance): Promise<void> {
    await instance.waitReady(this.spec.ready, this.spec.startTimeoutMs, this.options.signal);
    this.rotation.add(instance);
    this.route();
  }

  /**
   * Stops these instances as a platform does: out of rotation first, then the drain, the stop signal, and up
   * to stopTimeout for every process of the group before SIGKILL. In parallel; bounded.
   */
  async stop(which: AppInstance[]): Promise<FleetStop[]> {
    const leaving = which.filter((i) => !i.record.stoppedByUs && i.record.exitedAt === null);
    await this.targets.refresh();
    const failedBefore = new Map(leaving.map((i) => [i, this.targets.failedOn(i.origin)]));
    for (const i of leaving) this.rotation.delete(i);
    this.route();
    // With --workers, the drain begins once every worker has stopped sending to the leaving instances.
    await this.targets.routed();
    const drainedAt = performance.now();
    const drainMs = this.options.signal.aborted ? 0 : this.spec.drainMs;
    // A timer may fire up to a millisecond early on the loop's cached clock: top it up, so the drain is at least
    // what was asked (as a preStop sleep is). Twice at most.
    for (let i = 0; i < 2 && !this.options.signal.aborted; i++) {
      const left = drainMs - (performance.now() - drainedAt);
      if (left <= 0) break;
      await sleep(Math.ceil(left), undefined, { signal: this.options.signal }).catch(() => {});
    }
    const timeoutMs = this.options.signal.aborted ? ABORT_STOP_MS : this.spec.stopTimeoutMs;
    await Promise.all(leaving.map((i) => i.stop(this.spec.stopSignal, timeoutMs)));
    await Promise.all(leaving.map((i) => this.targets.settled(i.origin)));
    return leaving.map((instance) => ({
      instance,
      drainedAt,
      drainMs: Math.round((instance.record.stop?.signalAt ?? drainedAt) - drainedAt),
      failedRequests: this.targets.failedOn(instance.origin) - (failedBefore.get(instance) ?? 0),
    }));
  }

  /** Takes killed or crashed instances out of rotation (a crash is noticed by the balancer at once). */
  forget(which: AppInstance[]): void {
    for (const i of which) this.rotation.delete(i);
    this.route();
  }

  /** Points the http client at the instances in rotation, and logs the change. */
  route(): void {
    const ready = this.inRotation;
    this.options.targets.setOrigins(ready.map((i) => i.origin));
    const last = this.rotationLog.at(-1);
    if (!last || last.inRotation !== ready.length)
      this.rotationLog.push({ at: performance.now(), inRotation: ready.length });
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

  /** Stops everything (no drain at the end of a run) and forgets the registration. Idempotent. */
  async close(): Promise<void> {
    const running = this.instances.filter((i) => i.running);
    for (const i of running) this.rotation.delete(i);
    this.route();
    const timeoutMs = this.options.signal.aborted ? ABORT_STOP_MS : this.spec.stopTimeoutMs;
    await Promise.all(running.map((i) => i.stop(this.spec.stopSignal, timeoutMs)));
    await this.options.targets.close();
    this.options.registry.remove(this.id);
  }
}
