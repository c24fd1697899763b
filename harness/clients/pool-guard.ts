/**
 * Ends a pg pool whatever its servers do. `pool.end()` waits for every
 * checked-out connection, so a query that never returns (`pg_sleep(600)`, a
 * server killed behind PgBouncer's 120 s query_wait_timeout) held the process
 * for minutes after the load ended. `abandon()` asks the server to cancel what
 * is still running (the cancel protocol, as psql's Ctrl-C), destroys every
 * socket, and gives `end()` a bounded time.
 */
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";

const CANCEL_REQUEST_CODE = 80877102;

interface Tracked {
  on(event: "error", listener: () => void): unknown;
  processID: number | null;
  secretKey: number | null;
  connection?: { stream?: { destroy(): void } };
}

export class PoolGuard {
  private readonly pool: pg.Pool;
  private readonly server: { host: string; port: number };
  private readonly busy = new Set<Tracked>();

  constructor(pool: pg.Pool, url: string) {
    this.pool = pool;
    const parsed = new URL(url);
    this.server = { host: parsed.hostname.replace(/^\[|\]$/g, ""), port: Number(parsed.port || 5432) };
    pool.on("remove", (client) => this.busy.delete(client as unknown as Tracked));
    pool.on("acquire", (client) => this.busy.add(client as unknown as Tracked));
    pool.on("release", (_error, client) => this.busy.delete(client as unknown as Tracked));
  }

  /** Connections checked out right now (queries in flight or held). */
  get inUse(): number {
    return this.busy.size;
  }

  /**
   * Cancel, destroy, end: done within about `budgetMs` whatever the server does. With `drainMs`, first
   * waits that long for what is in flight or queued for a connection to finish on its own: PgBouncer
   * 1.18 can exit on a burst of cancel requests under load ("bad client state"), which a run survives at
   * its end but a capacity search, which runs its next step on the same PgBouncer, cannot.
   */
  async abandon(budgetMs = 2_000, drainMs = 0): Promise<void> {
    if (drainMs > 0) await this.drained(drainMs);
    const half = budgetMs / 2;
    const cancels = [...this.busy].map((c) => this.cancel(c, half));
    await Promise.allSettled(cancels);
    // Idle connections end politely (pool.end); only the ones still checked out are cut off, which fails
    // their queries, releases them and lets end() finish.
    for (const client of this.busy) {
      // A checked-out client has no pool listener: its "connection lost" would crash the process.
      client.on("error", () => {});
      client.connection?.stream?.destroy();
    }
    await Promise.race([this.pool.end().catch(() => {}), sleep(half)]);
  }

  private async drained(limitMs: number): Promise<void> {
    const deadline = performance.now() + limitMs;
    while (performance.now() < deadline && (this.busy.size > 0 || this.pool.waitingCount > 0)) await sleep(50);
  }

  /** A CancelRequest on a new connection; PgBouncer passes it to the server the client is linked to. */
  private cancel(client: Tracked, timeoutMs: number): Promise<void> {
    if (client.processID === null || client.secretKey === null) return Promise.resolve();
    const packet = Buffer.alloc(16);
    packet.writeInt32BE(16, 0);
    packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
    packet.writeInt32BE(client.processID, 8);
    packet.writeInt32BE(client.secretKey, 12);
    return new Promise((resolve) => {
      const socket = connect(this.server.port, this.server.host);
      const done = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      socket.on("error", done);
      socket.on("close", done);
      socket.on("connect", () => socket.end(packet));
    });
  }
}
