/** Cold-cache actions on Redis: flush (prefix or all), maxmemory squeeze, CLIENT PAUSE. */

import { z } from "zod";
import { MAXMEMORY_POLICIES } from "../../../containers/settings.ts";
import type { ActionResults } from "../../../reports/schema.ts";
import { type ActionContext, type ActionRun, actionKind } from "../types.ts";
import { oneOf } from "./options.ts";

const SCAN_BATCH = 1_000;
const MAX_SCAN_ROUNDS = 100_000; // bounded: 100M keys

const MEMORY_SAMPLE_KEYS = 1_000;

/** What the keys use, from MEMORY USAGE of up to MEMORY_SAMPLE_KEYS of them (SCAN order) scaled by DBSIZE. */
async function keysMemory(redis: ActionContext["redis"]): Promise<number> {
  const keys: string[] = [];
  let cursor = "0";
  for (let round = 0; round < MAX_SCAN_ROUNDS && keys.length < MEMORY_SAMPLE_KEYS; round++) {
    const [next, batch] = await redis.scan(cursor, "COUNT", SCAN_BATCH);
    keys.push(...batch.slice(0, MEMORY_SAMPLE_KEYS - keys.length));
    cursor = next;
    if (cursor === "0") break;
  }
  if (keys.length === 0) return 0;
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.memory("USAGE", key);
  const sizes = ((await pipeline.exec()) ?? []).map(([, size]) => Number(size ?? 0));
  const sampled = sizes.reduce((n, b) => n + b, 0);
  return Math.round((sampled / keys.length) * (await redis.dbsize()));
}

/** Deletes the workload's keys (SCAN + UNLINK, bounded) or everything (FLUSHALL). */
export const flushCache = actionKind<"flush-cache", { scope: "prefix" | "all"; mode: "SYNC" | "ASYNC" }>({
  needsDuration: false,
  options: () =>
    z
      .strictObject({
        scope: oneOf(["prefix", "all"]).default("prefix"),
        mode: oneOf(["async", "sync"]).default("async"),
      })
      .transform((o) => ({ scope: o.scope, mode: o.mode === "sync" ? ("SYNC" as const) : ("ASYNC" as const) })),
  // Only the workload's own keys: the one action that needs no opt-in on a stack rehearse does not own.
  onExternal: ({ scope }) => (scope === "prefix" ? "safe" : "opt-in"),
  async run({ redis, cachePrefix }: ActionContext, { scope, mode }): Promise<ActionRun<ActionResults["flush-cache"]>> {
    if (scope === "all") {
      const before = await redis.dbsize();
      if (mode === "SYNC") await redis.flushall("SYNC");
      else await redis.flushall("ASYNC");
      return { result: { scope: "all", mode: mode === "SYNC" ? "sync" : "async", keysRemoved: before } };
    }
    let cursor = "0";
    let removed = 0;
    for (let round = 0; round < MAX_SCAN_ROUNDS; round++) {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${cachePrefix}*`, "COUNT", SCAN_BATCH);
      if (keys.length > 0) removed += mode === "SYNC" ? await redis.del(...keys) : await redis.unlink(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
    return {
      result: { scope: "prefix", prefix: cachePrefix, mode: mode === "SYNC" ? "sync" : "async", keysRemoved: removed },
    };
  },
});

/**
 * Squeezes Redis' maxmemory (forcing evictions under an eviction policy); restores it after. The value is a
 * size, or a share of what the keys use when the action starts ("90%": used_memory less a tenth of the keys'
 * bytes): a squeeze that evicts whatever the dataset's size on this run (a fixed size that evicts on one run's
 * cache may sit above a shorter run's). Neither used_memory nor used_memory_dataset will do as the base: Redis
 * and its clients use ~1.2 MB with no keys at all (used_memory_dataset stayed at 238 KB with none), so half of
 * either sits below what Redis needs empty, and every write fails with OOM instead of evicting.
 */
export const maxmemory = actionKind<"maxmemory", { value: string; policy?: string }>({
  needsDuration: true,
  options: () =>
    z.strictObject({
      value: z
        .string({ error: 'is required: a size such as "2mb", or a share of what the keys use such as "90%"' })
        .regex(/^(\d+(b|kb|mb|gb)?|([1-9]\d?)%)$/i, {
          error: 'must be a size such as "2mb", or a share of what the keys use such as "90%" (1–99%)',
        }),
      policy: oneOf(MAXMEMORY_POLICIES).optional(),
    }),
  async run({ redis }, options) {
    const [, oldValue = "0"] = (await redis.config("GET", "maxmemory")) as string[];
    const [, oldPolicy = "noeviction"] = (await redis.config("GET", "maxmemory-policy")) as string[];
    const share = /^(\d+)%$/.exec(options.value);
    let limit = options.value;
    let keyBytes: number | undefined;
    if (share) {
      const used = Number(/^used_memory:(\d+)/m.exec(await redis.info("memory"))?.[1] ?? 0);
      keyBytes = await keysMemory(redis);
      limit = String(Math.max(1, used - Math.floor((keyBytes * (100 - Number(share[1]))) / 100)));
    }
    await redis.config("SET", "maxmemory", limit);
    if (options.policy !== undefined) await redis.config("SET", "maxmemory-policy", options.policy);
    return {
      result: {
        value: options.value,
        ...(share ? { bytes: Number(limit), keyBytes } : {}),
        previous: oldValue,
        policy: options.policy ?? oldPolicy,
      },
      revert: async () => {
        await redis.config("SET", "maxmemory", oldValue);
        await redis.config("SET", "maxmemory-policy", oldPolicy);
        const info = await redis.info("stats");
        return { evictedKeys: Number(/evicted_keys:(\d+)/.exec(info)?.[1] ?? 0) };
      },
    };
  },
});

/**
 * Redis CLIENT PAUSE for the action's duration: `all` holds every command (a stalled cache),
 * `write` only writes. The pause carries its own timeout, so it ends even if rehearse dies;
 * UNPAUSE ends a `write` pause early on abort, while an `all` pause holds UNPAUSE too and ends
 * on its timeout (at most the duration).
 */
export const redisClientPause = actionKind<"redis-client-pause", { mode: "WRITE" | "ALL" }>({
  needsDuration: true,
  options: () =>
    z
      .strictObject({ mode: oneOf(["all", "write"]).default("all") })
      .transform((o) => ({ mode: o.mode === "write" ? ("WRITE" as const) : ("ALL" as const) })),
  async run({ redis }, { mode }, { durationMs }) {
    const ms = Math.max(1, Math.round(durationMs ?? 0));
    await redis.call("CLIENT", "PAUSE", String(ms), mode);
    return {
      result: { mode: mode === "WRITE" ? "write" : "all", pausedMs: ms },
      revert: async () => {
        await redis.call("CLIENT", "UNPAUSE");
        return undefined;
      },
    };
  },
});
