/**
 * The `cache` client ops receive: ioredis seen through a per-iteration view
 * that counts hits and misses and times commands as service time, with a
 * cache-aside helper whose misses fall through to the loader (usually `db`).
 */
import type { Redis } from "ioredis";
import { type IterationTimer, now } from "./iteration-timer.ts";

export interface Cache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  del(key: string): Promise<number>;
  /** Cache-aside: a hit returns the cached JSON; a miss runs `loader` and stores its result for `ttlSeconds`. */
  cached<T>(key: string, ttlSeconds: number, loader: () => Promise<T>): Promise<T>;
}

export function cacheView(redis: Redis, timer: IterationTimer, prefix: string): Cache {
  const timed = async <T>(command: () => Promise<T>): Promise<T> => {
    const t0 = now();
    try {
      return await command();
    } finally {
      timer.serviceMs += now() - t0;
    }
  };
  const get = async (key: string) => {
    const value = await timed(() => redis.get(prefix + key));
    if (value === null) timer.cacheMisses++;
    else timer.cacheHits++;
    return value;
  };
  const set = async (key: string, value: string, ttlSeconds?: number) => {
    await timed(() => (ttlSeconds ? redis.set(prefix + key, value, "EX", ttlSeconds) : redis.set(prefix + key, value)));
  };
  return {
    get,
    set,
    del: (key) => timed(() => redis.del(prefix + key)),
    async cached(key, ttlSeconds, loader) {
      const hit = await get(key);
      if (hit !== null) return JSON.parse(hit);
      const value = await loader();
      await set(key, JSON.stringify(value), ttlSeconds);
      return value;
    },
  };
}
