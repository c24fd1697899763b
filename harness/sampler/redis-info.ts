/** Redis INFO text → the numbers a cache rehearsal needs. */
export interface RedisInfo {
  keyspaceHits: number;
  keyspaceMisses: number;
  evictedKeys: number;
  usedMemoryBytes: number;
  connectedClients: number;
}

export function parseRedisInfo(text: string): RedisInfo {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const n = (name: string) => {
    const value = Number(fields.get(name));
    return Number.isFinite(value) ? value : 0;
  };
  return {
    keyspaceHits: n("keyspace_hits"),
    keyspaceMisses: n("keyspace_misses"),
    evictedKeys: n("evicted_keys"),
    usedMemoryBytes: n("used_memory"),
    connectedClients: n("connected_clients"),
  };
}
