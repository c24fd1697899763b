/**
 * The one StartedStack implementation: providers supply a launch plan (how to
 * start each service, the URLs, what to release at the end) and this module
 * starts the services in parallel, waits until real queries answer, and owns
 * them until teardown.
 */
import { AbortedError, messageOf, StackStartError } from "../core/errors.ts";
import type { ProcStat } from "../core/procfs.ts";
import { scrub } from "../core/redact.ts";
import { probePgBouncer, probePostgres, probeRedis, queryOnce, waitUntilReady } from "./probes.ts";
import type {
  ExecOptions,
  ExecResult,
  ProviderName,
  ServiceHandle,
  ServiceName,
  StackUrls,
  StartedStack,
} from "./types.ts";
import { SERVICE_NAMES } from "./types.ts";

export interface LaunchPlan {
  id: string;
  provider: ProviderName;
  urls: StackUrls;
  /** Strings never to show in messages (passwords). */
  secrets: string[];
  /** Starts one service and resolves once its process runs (not yet ready). */
  launch: Record<ServiceName, () => Promise<ServiceHandle>>;
  /** Releases what the plan holds beyond the services (temp dir, network, registry entry). */
  release(): Promise<void>;
  /** The harness owns the cluster: create the application database once Postgres answers. */
  createDatabase: boolean;
}

export interface LaunchOptions {
  /** Readiness budget per service. */
  timeoutMs: number;
  signal?: AbortSignal;
}

type Handles = Record<ServiceName, ServiceHandle>;

export async function launchStack(plan: LaunchPlan, options: LaunchOptions): Promise<StartedStack> {
  const started: Partial<Handles> = {};
  const cleanUp = async () => {
    await Promise.allSettled(Object.values(started).map((handle) => handle.remove()));
    await plan.release();
  };
  try {
    // Services start in parallel; every launch settles before we decide, so none is orphaned.
    const results = await Promise.allSettled(
      SERVICE_NAMES.map(async (name) => {
        try {
          started[name] = await plan.launch[name]();
        } catch (error) {
          throw new StackStartError(name, scrub(messageOf(error), plan.secrets), { cause: error });
        }
      }),
    );
    if (options.signal?.aborted) throw new AbortedError("stack start-up aborted");
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    const stack = new RunningStack(plan, started as Handles);
    await stack.waitForAll(options);
    return stack;
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

class RunningStack implements StartedStack {
  readonly id: string;
  readonly provider: ProviderName;
  readonly urls: StackUrls;
  readonly versions: Record<ServiceName, string> = { postgres: "", pgbouncer: "", redis: "" };
  private readonly plan: LaunchPlan;
  private readonly handles: Handles;
  private readinessTimeoutMs = 30_000;
  private teardownPromise: Promise<void> | undefined;

  constructor(plan: LaunchPlan, handles: Handles) {
    this.plan = plan;
    this.handles = handles;
    this.id = plan.id;
    this.provider = plan.provider;
    this.urls = plan.urls;
  }

  /** Postgres and Redis first (in parallel), then PgBouncer: probing it before Postgres answers
   * would make it back off for server_login_retry seconds. */
  async waitForAll(options: LaunchOptions): Promise<void> {
    this.readinessTimeoutMs = options.timeoutMs;
    await Promise.all([this.waitFor("postgres", options.signal), this.waitFor("redis", options.signal)]);
    await this.waitFor("pgbouncer", options.signal);
  }

  private async waitFor(name: ServiceName, signal?: AbortSignal): Promise<void> {
    const handle = this.handles[name];
    const probes: Record<ServiceName, () => Promise<string>> = {
      postgres: () => probePostgres(this.urls.postgres, this.plan.createDatabase),
      pgbouncer: () => probePgBouncer(this.urls.pgbouncer, this.urls.pgbouncerAdmin),
      redis: () => probeRedis(this.urls.redis),
    };
    try {
      this.versions[name] = await waitUntilReady(name, probes[name], {
        timeoutMs: this.readinessTimeoutMs,
        signal,
        isAlive: () => handle.isRunning(),
      });
    } catch (error) {
      if (error instanceof AbortedError) throw error;
      const tail = await handle.logTail(15).catch(() => "");
      const detail = tail ? `${messageOf(error)}\n--- last lines of ${name}'s log ---\n${tail}` : messageOf(error);
      throw new StackStartError(name, scrub(detail, this.plan.secrets), { cause: error });
    }
  }

  pause(service: ServiceName): Promise<void> {
    return this.handles[service].pause();
  }

  unpause(service: ServiceName): Promise<void> {
    return this.handles[service].unpause();
  }

  stop(service: ServiceName): Promise<void> {
    return this.handles[service].stop();
  }

  kill(service: ServiceName): Promise<void> {
    return this.handles[service].kill();
  }

  async start(service: ServiceName): Promise<void> {
    await this.handles[service].start();
    await this.waitFor(service);
  }

  async restart(service: ServiceName): Promise<void> {
    await this.stop(service);
    await this.start(service);
  }

  exec(service: ServiceName, argv: string[], options?: ExecOptions): Promise<ExecResult> {
    return this.handles[service].exec(argv, options);
  }

  hostPids(service: ServiceName, processes?: ProcStat[]): Promise<number[]> {
    return this.handles[service].hostPids(processes).catch(() => []);
  }

  pgbouncerAdmin(command: string): Promise<Record<string, unknown>[]> {
    return queryOnce(this.urls.pgbouncerAdmin, command, 5_000);
  }

  teardown(): Promise<void> {
    this.teardownPromise ??= (async () => {
      await Promise.allSettled(Object.values(this.handles).map((handle) => handle.remove()));
      await this.plan.release();
    })();
    return this.teardownPromise;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.teardown();
  }
}
