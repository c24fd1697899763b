/**
 * The `http` client ops receive: undici keep-alive pools, one per app
 * instance, requests spread round robin as a load balancer would. Per request,
 * as k6 splits http_req_duration: the wait for a socket from the pool (the
 * HTTP analogue of pool wait), then the time until the response ended (service
 * time); the status is counted. An unexpected status is an error of class
 * http_4xx / http_5xx; network failures are connection / timeout errors.
 */
import { Pool } from "undici";
import { isLoopbackHost } from "../../containers/index.ts";
import { type IterationTimer, now } from "./iteration-timer.ts";

export interface HttpSettings {
  /** Keep-alive connections per app instance. */
  connections: number;
  /** Time allowed for the response headers, then between body chunks. */
  timeoutMs: number;
}

export const DEFAULT_HTTP_SETTINGS: HttpSettings = { connections: 64, timeoutMs: 60_000 };

export interface RequestOptions {
  body?: string | Uint8Array;
  /** Sent as the body with `content-type: application/json`. */
  json?: unknown;
  headers?: Record<string, string>;
  /** Groups URLs with ids in them (k6's `name` tag), e.g. "/dashboard/:account". */
  name?: string;
  /** Statuses that are not errors: a list, or a predicate. Default: 2xx and 3xx. */
  expect?: number[] | ((status: number) => boolean);
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = unknown>(): T;
}

export interface Http {
  get(path: string, options?: RequestOptions): Promise<HttpResponse>;
  post(path: string, options?: RequestOptions): Promise<HttpResponse>;
  put(path: string, options?: RequestOptions): Promise<HttpResponse>;
  patch(path: string, options?: RequestOptions): Promise<HttpResponse>;
  del(path: string, options?: RequestOptions): Promise<HttpResponse>;
}

/** A response whose status the op did not expect; classed http_4xx / http_5xx. */
export class HttpStatusError extends Error {
  readonly status: number;

  constructor(method: string, url: string, status: number) {
    super(`${method} ${url} answered ${status}`);
    this.name = "HttpStatusError";
    this.status = status;
  }
}

const defaultExpect = (status: number) => status >= 200 && status < 400;

/** The load's http clients in worker threads (`--workers`): each has its own pools, and every change of
 * routing reaches all of them, acknowledged, so a drain stops traffic from every worker. */
export interface RemoteRouting {
  setOrigins(origins: string[]): void;
  /** Resolves once every worker routes by the last setOrigins. */
  routed(): Promise<void>;
  settled(origin: string): Promise<void>;
  /** Fetches every worker's failure counts now (they otherwise arrive once a second). */
  refresh(): Promise<void>;
  failedOn(origin: string): number;
  failedTotal(): number;
}

/** The app's instances as pools; `pick` rotates over the current ones (instances come and go). */
export class HttpTargets {
  readonly settings: HttpSettings;
  private pools: Pool[] = [];
  private readonly absolute = new Map<string, Pool>();
  private next = 0;
  /** Failed requests by the origin they went to: what a deploy attributes to a stopping instance. */
  private readonly failures = new Map<string, number>();

  constructor(settings: HttpSettings) {
    this.settings = settings;
  }

  /** Pools out of rotation, closing: done when their last request in flight has ended. */
  private readonly closing = new Map<string, Promise<void>>();

  private remote: RemoteRouting | undefined;

  /** Routing now reaches these workers too (until detached); they start with the current origins. */
  attach(remote: RemoteRouting | undefined): void {
    this.remote = remote;
    remote?.setOrigins(this.origins);
  }

  get origins(): string[] {
    return this.pools.map((p) => poolOrigin.get(p) ?? "");
  }

  /** The base URLs requests go to now (e.g. after a deploy replaced the instances). */
  setOrigins(origins: string[]): void {
    this.remote?.setOrigins(origins);
    const old = this.pools;
    this.pools = origins.map((origin) => old.find((p) => poolOrigin.get(p) === origin) ?? this.pool(origin));
    for (const pool of old)
      if (!this.pools.includes(pool))
        this.closing.set(
          poolOrigin.get(pool) ?? "",
          pool.close().catch(() => {}),
        );
  }

  /** Waits (bounded) until the requests in flight to an origin out of rotation have ended, and been counted:
   * a request cut off by its instance's exit fails a moment after the exit itself. */
  async settled(origin: string, budgetMs = 2_000): Promise<void> {
    const remote = this.remote?.settled(origin);
    const closing = this.closing.get(origin);
    if (closing) await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, budgetMs).unref())]);
    await new Promise((resolve) => setImmediate(resolve));
    await remote;
  }

  /** Resolves once every client (the workers' too) routes by the last setOrigins. */
  async routed(): Promise<void> {
    await this.remote?.routed();
  }

  /** The workers' failure counts fetched now, before a deploy reads them. */
  async refresh(): Promise<void> {
    await this.remote?.refresh();
  }

  /** Requests that failed on this origin so far (a network error or a status the op did not expect). */
  failedOn(origin: string): number {
    return (this.failures.get(origin) ?? 0) + (this.remote?.failedOn(origin) ?? 0);
  }

  /** This client's own failure counts by origin (a worker's, sent to the main thread). */
  ownFailures(): Record<string, number> {
    return Object.fromEntries(this.failures);
  }

  /** Failed requests on every origin so far. */
  failedTotal(): number {
    let n = this.remote?.failedTotal() ?? 0;
    for (const count of this.failures.values()) n += count;
    return n;
  }

  noteFailure(pool: Pool | undefined): void {
    const origin = pool ? (poolOrigin.get(pool) ?? "") : "";
    this.failures.set(origin, (this.failures.get(origin) ?? 0) + 1);
  }

  pick(): Pool | undefined {
    if (this.pools.length === 0) return undefined;
    this.next = (this.next + 1) % this.pools.length;
    return this.pools[this.next];
  }

  /** A pool for an absolute URL's origin: loopback only. */
  forOrigin(origin: string): Pool {
    const found = this.absolute.get(origin);
    if (found) return found;
    const host = new URL(origin).hostname;
    if (!isLoopbackHost(host)) throw new Error(`http: ${origin} is not on loopback; ops may only call the app`);
    const pool = this.pool(origin);
    this.absolute.set(origin, pool);
    return pool;
  }

  private pool(origin: string): Pool {
    const pool = new Pool(origin, {
      connections: this.settings.connections,
      headersTimeout: this.settings.timeoutMs,
      bodyTimeout: this.settings.timeoutMs,
      keepAliveTimeout: 30_000,
    });
    poolOrigin.set(pool, origin);
    return pool;
  }

  /** Closes every pool, abandoning requests in flight; bounded. */
  async close(budgetMs = 2_000): Promise<void> {
    const all = [...this.pools, ...this.absolute.values()];
    this.pools = [];
    this.absolute.clear();
    const timer = new Promise((resolve) => setTimeout(resolve, budgetMs).unref());
    await Promise.race([Promise.allSettled(all.map((p) => p.destroy())), timer]);
  }
}

const poolOrigin = new WeakMap<Pool, string>();

/** A class, not closures: one is made per iteration, thousands a second. */
export class HttpView implements Http {
  private readonly targets: HttpTargets;
  private readonly timer: IterationTimer;

  constructor(targets: HttpTargets, timer: IterationTimer) {
    this.targets = targets;
    this.timer = timer;
  }

  get(path: string, options?: RequestOptions) {
    return this.request("GET", path, options);
  }
  post(path: string, options?: RequestOptions) {
    return this.request("POST", path, options);
  }
  put(path: string, options?: RequestOptions) {
    return this.request("PUT", path, options);
  }
  patch(path: string, options?: RequestOptions) {
    return this.request("PATCH", path, options);
  }
  del(path: string, options?: RequestOptions) {
    return this.request("DELETE", path, options);
  }

  private async request(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const absolute = /^https?:\/\//.test(path);
    const pool = absolute ? this.targets.forOrigin(new URL(path).origin) : this.targets.pick();
    const target = absolute ? new URL(path) : undefined;
    const headers: Record<string, string> = { ...options.headers };
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] ??= "application/json";
    }
    // Unnamed, a request is grouped by its path without the query (ids in a path need `name`).
    const name = options.name ?? (target ? `${target.origin}${target.pathname}` : path.split("?")[0]) ?? path;
    const t0 = now();
    this.timer.http ??= [];
    const samples = this.timer.http;
    try {
      // No instance up (all killed, mid-deploy): a refused request, as behind a load balancer with none.
      if (!pool) throw Object.assign(new Error("http: no app instance is running"), { code: "ECONNREFUSED" });
      const response = await send(pool, {
        method,
        path: target ? `${target.pathname}${target.search}` : path,
        headers,
        body: body ?? null,
      });
      const expected = options.expect ?? defaultExpect;
      const ok = Array.isArray(expected) ? expected.includes(response.status) : expected(response.status);
      this.timer.poolWaitMs += response.socketAt - t0;
      this.timer.serviceMs += response.endAt - response.socketAt;
      samples.push({ name, status: response.status, ms: response.endAt - t0, failed: !ok });
      if (!ok) {
        this.targets.noteFailure(pool);
        throw new HttpStatusError(method, options.name ?? path, response.status);
      }
      return response;
    } catch (error) {
      if (!(error instanceof HttpStatusError)) {
        this.timer.serviceMs += now() - t0;
        samples.push({ name, status: 0, ms: now() - t0, failed: true });
        this.targets.noteFailure(pool);
      }
      throw error;
    }
  }
}

interface Sent extends HttpResponse {
  socketAt: number;
  endAt: number;
}

/** One request through undici's handler API: the moments it got a socket and ended are the timings. */
function send(
  pool: Pool,
  options: { method: string; path: string; headers: Record<string, string>; body: string | Uint8Array | null },
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    let socketAt = 0;
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    pool.dispatch(options, {
      onRequestStart() {
        socketAt = now();
      },
      onResponseStart(_controller, statusCode, responseHeaders) {
        status = statusCode;
        headers = responseHeaders as Record<string, string | string[] | undefined>;
      },
      onResponseData(_controller, chunk) {
        chunks.push(chunk);
      },
      onResponseEnd() {
        const body = Buffer.concat(chunks).toString("utf8");
        resolve({
          status,
          headers,
          body,
          json: <T>() => JSON.parse(body) as T,
          socketAt: socketAt || now(),
          endAt: now(),
        });
      },
      onResponseError(_controller, error) {
        reject(error);
      },
    });
  });
}
