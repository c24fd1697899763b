/**
 * The shape of a report.json as a sorted list of key paths (`ops[].latencyMs.p95`): arrays
 * collapse to `[]`, and maps whose keys depend on the run (states, op names, action results)
 * to `{}`, so two runs of one scenario have the same list exactly when their fields agree.
 */
const RUN_DEPENDENT_MAPS = new Set([
  "timeline[].postgres.byState",
  "timeline[].postgres.waiting",
  "perSecond.ops",
  "actions[].result",
  "settings.postgres.config",
  "ops[].statusCounts",
]);

/** Arrays that are empty on a quiet run and not on a busy one (their items' shape is pinned by the type). */
const OCCASIONAL_ARRAYS = new Set(["disturbed", "timeline[].cpu.topOther"]);

export function keyPaths(value: unknown, path = ""): string[] {
  const paths = new Set<string>();
  const walk = (v: unknown, at: string) => {
    if (Array.isArray(v)) {
      if (OCCASIONAL_ARRAYS.has(at)) return;
      for (const item of v) walk(item, `${at}[]`);
      return;
    }
    if (v === null || typeof v !== "object") return;
    if (RUN_DEPENDENT_MAPS.has(at)) {
      paths.add(`${at}.{}`);
      return;
    }
    for (const [key, child] of Object.entries(v)) {
      const next = at ? `${at}.${key}` : key;
      paths.add(next);
      walk(child, next);
    }
  };
  walk(value, path);
  return [...paths].sort();
}
