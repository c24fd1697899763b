/**
 * The `cache` client ops receive: ioredis seen through a per-iteration view
 * that counts hits and misses and times commands as service time, with a
 * cache-aside helper whose misses fall through to the loader (usually `db`).
 */
import type { Redis } from "ioredis";
import { type IterationTimer, now } from "./iteration-timer.ts";

/** The cache client's settings; they change what cache latency means, so the report records them.
 * No commandTimeout: ioredis arms a timer for any number, 0 included (it would fail every command). */
export const REDIS_CLIENT = { enableAutoPipelining: false, maxRetriesPerRequest: 1 } as const;

export interface Cache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  del(...keys: string[]): Promise<number>;
  /** Cache-aside: a hit returns the cached JSON; a miss runs `loader` and stores its result for `ttlSeconds`. */
  cached<T>(key: string, ttlSeconds: number, loader: () => Promise<T>): Promise<T>;
}

/** A class, not closures: one is made per iteration, thousands a second. */
export class CacheView implements Cache {
  private readonly redis: Redis;
  private readonly timer: IterationTimer;
  private readonly prefix: string;

  constructor(redis: Redis, timer: IterationTimer, prefix: string) {
    this.redis = redis;
    this.timer = timer;
    this.prefix = prefix;
  }

  private async timed<T>(command: () => Promise<T>): Promise<T> {
    const t0 = now();
    try {
      return await command();
    } finally {
      this.timer.serviceMs += now() - t0;
    }
  }

  async get(key: string): Promise<string | null> {
    const value = await this.timed(() => this.redis.get(this.prefix + key));
    if (value === null) this.timer.cacheMisses++;
    else this.timer.cacheHits++;
    return value;
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    const full = this.prefix + key;
    await this.timed(() => (ttlSeconds ? this.redis.set(full, value, "EX", ttlSeconds) : this.redis.set(full, value)));
  }

  del(...keys: string[]): Promise<number> {
    return this.timed(() => this.redis.del(...keys.map((key) => this.prefix + key)));
  }

  async cached<T>(key: string, ttlSeconds: number, loader: () => Promise<T>): Promise<T> {
    const hit = await this.get(key);
    if (hit !== null) return JSON.parse(hit) as T;
    const value = await loader();
    await this.set(key, JSON.stringify(value), ttlSeconds);
    return value;
  }
}
