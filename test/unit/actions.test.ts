import { describe, expect, it } from "vitest";
import { planActions } from "../../harness/actions/timeline.ts";

describe("planActions", () => {
  it("plans offsets and durations, scaled", () => {
    const problems: string[] = [];
    const planned = planActions(
      [
        { at: "20s", action: "flush-cache" },
        { at: "1m", action: "freeze", service: "pgbouncer", duration: "5s" },
      ],
      0.5,
      problems,
    );
    expect(problems).toEqual([]);
    expect(planned.map((a) => [a.name, a.atMs, a.durationMs])).toEqual([
      ["flush-cache", 10_000, undefined],
      ["freeze", 30_000, 2_500],
    ]);
  });

  it("reports every problem with its index and field", () => {
    const problems: string[] = [];
    planActions(
      [
        { at: "soon", action: "flush-cache", scope: "everything" },
        { at: "5s", action: "freeze", service: "mysql" },
        { at: "5s", action: "drop-database" },
        { at: "5s", action: "restart", service: "redis", force: true },
      ],
      1,
      problems,
    );
    expect(problems).toEqual([
      'actions[0].at: \'soon\' is not a duration (e.g. "30s", "1m30s", "500ms")',
      'actions[0].scope: must be "prefix" (default) or "all"',
      "actions[1].duration: freeze needs one",
      "actions[1].service: must be one of postgres, pgbouncer, redis",
      'actions[2].action: "drop-database" is not one of flush-cache, restart, freeze, pgbouncer-pause, maxmemory, backup',
      "actions[3].force: unknown option",
    ]);
  });
});
