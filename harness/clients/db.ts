/**
 * The `db` client ops receive: a pg pool pointed at PgBouncer, seen through a
 * per-iteration view that times connection acquisition (pool wait) apart from
 * query time (service time).
 */
import pg from "pg";
import { classifyError } from "./classify-error.ts";
import { type IterationTimer, now } from "./iteration-timer.ts";

export interface DbSettings {
  /** Client-side pool size (connections to PgBouncer). */
  poolSize: number;
  /** pg-pool connectionTimeoutMillis: give up waiting for a connection after this long; 0 = never. */
  acquireTimeoutMs: number;
  /** pg query_timeout (client-side); 0 = none. */
  queryTimeoutMs: number;
  /** Postgres statement_timeout sent on connect; 0 = none. */
  statementTimeoutMs: number;
}

export const DEFAULT_DB_SETTINGS: DbSettings = {
  poolSize: 10,
  acquireTimeoutMs: 0,
  queryTimeoutMs: 0,
  statementTimeoutMs: 0,
};

export function createDbPool(url: string, settings: DbSettings): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: settings.poolSize,
    connectionTimeoutMillis: settings.acquireTimeoutMs,
    query_timeout: settings.queryTimeoutMs || undefined,
    statement_timeout: settings.statementTimeoutMs || undefined,
    // Connections stay open: closing idle ones would make reconnects look like pool wait.
    idleTimeoutMillis: 0,
  });
  // An idle client losing its server (a restart, say) emits here; the pool drops it.
  pool.on("error", () => {});
  // A checked-out client losing its server emits "error" too, and the pool listens only to idle ones:
  // unheard, it crashed rehearse when PgBouncer died mid-run. Its query fails anyway; that is the error counted.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

/** Opens every connection the pool may hold, so the load starts against a warm pool (as apps run). */
export async function warmPool(pool: pg.Pool, size: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: size }, () => pool.connect()));
  for (const client of clients) client.release();
}

export type Queryable = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

export interface Db {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Holds one connection for `work` (a transaction, a long export); all of `work` is service time. */
  withConnection<T>(work: (query: Queryable) => Promise<T>): Promise<T>;
}

/** A class, not closures: one is made per iteration, thousands a second. */
export class DbView implements Db {
  private readonly pool: pg.Pool;
  private readonly timer: IterationTimer;

  constructor(pool: pg.Pool, timer: IterationTimer) {
    this.pool = pool;
    this.timer = timer;
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.serve((client) => client.query<R>(text, values));
  }

  withConnection<T>(work: (query: Queryable) => Promise<T>): Promise<T> {
    return this.serve((client) => work((text, values) => client.query(text, values)));
  }

  private async serve<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const t0 = now();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } finally {
      this.timer.poolWaitMs += now() - t0;
    }
    const t1 = now();
    let broken: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      // Only a plain query error leaves the connection usable; after anything else, destroy it.
      if (classifyError(error) !== "query") broken = error as Error;
      throw error;
    } finally {
      this.timer.serviceMs += now() - t1;
      client.release(broken);
    }
  }
}
