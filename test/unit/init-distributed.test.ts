/**
 * `rehearse init --distributed k8s|github`: the Indexed Job and its ConfigMap pass the Kubernetes API schema
 * (kubernetes-models, offline: no cluster runs here), the pod's command gives each index its segment when a
 * shell runs it, and the GitHub workflow is a segment matrix whose parts all start at one instant and a merge
 * job that runs whatever the parts did. The parts' commands themselves are run, on one machine, by
 * test/integration-alone/segments.test.ts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Job } from "kubernetes-models/batch/v1/Job";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { main } from "../../harness/cli/main.ts";
import {
  GITHUB_SEGMENT,
  GITHUB_START,
  mergeCommand,
  PART_BEGIN,
  PART_END,
  partCommand,
} from "../../harness/init/distributed-templates.ts";
import { captureWorld } from "../helpers/capture-world.ts";

async function init(root: string, ...args: string[]) {
  const world = captureWorld({});
  const code = await main(["init", "--root", root, ...args], world);
  return { code, out: world.out(), err: world.err() };
}

const plan = { scenario: "rehearse/cold-cache.ts", target: "rehearse/staging.target.json", segments: 4 };

describe("rehearse init --distributed k8s", () => {
  const root = mkdtempSync(join(tmpdir(), "rehearse-init-k8s-"));
  const written = init(root, "--distributed", "k8s", "--segments", "4");
  const read = async (file: string) => {
    await written;
    return parse(readFileSync(join(root, "rehearse", "k8s", file), "utf8"));
  };

  it("writes an Indexed Job and a ConfigMap that the Kubernetes API schema accepts", async () => {
    expect((await written).code).toBe(0);
    const job = new Job(await read("job.yaml"));
    expect(() => job.validate()).not.toThrow();
    expect(job.spec).toMatchObject({ completionMode: "Indexed", completions: 4, parallelism: 4, backoffLimit: 0 });
    const configMap = new ConfigMap(await read("configmap.yaml"));
    expect(() => configMap.validate()).not.toThrow();
    expect(Object.keys(configMap.data ?? {})).toEqual(["scenario.ts", "target.json"]);
    expect(configMap.data?.["scenario.ts"]).toContain("defineScenario");
    // A broken manifest is caught by the same check: it is not a check that passes anything.
    const broken = { ...(await read("job.yaml")), spec: { completionMode: "Indexed", template: 3 } };
    expect(() => new Job(broken).validate()).toThrow();
  });

  it("gives pod index k segment k+1 of N, at the shared start, and prints its part between the markers", async () => {
    const job = await read("job.yaml");
    const container = job.spec.template.spec.containers[0];
    expect(container.command).toEqual(["sh", "-c"]);
    // The pod's shell, with `npx` standing in as echo: what rehearse would be given.
    const script = String(container.args[0]).replace(/^npx /, "echo ");
    const out = execFileSync("sh", ["-c", script], {
      env: { PATH: process.env.PATH, JOB_COMPLETION_INDEX: "2", START_AT: "2026-12-02T10:00:00Z" },
      encoding: "utf8",
    }).split("\n");
    expect(out[0]).toBe(
      "rehearse run /app/rehearse-k8s/scenario.ts --target /app/rehearse-k8s/target.json --segment 3/4 --start-at 2026-12-02T10:00:00Z --out /tmp/part --no-progress",
    );
    expect(out).toContain(PART_BEGIN);
    expect(out).toContain(PART_END);
    const readme = readFileSync(join(root, "rehearse", "k8s", "README.md"), "utf8");
    expect(readme).toContain(mergeCommand(plan, "rehearse-parts/*", "rehearse-out"));
    expect(readme).toContain("kubectl wait --for=condition=complete");
  });
});

describe("rehearse init --distributed github", () => {
  const root = mkdtempSync(join(tmpdir(), "rehearse-init-gh-"));
  const written = init(root, "--distributed", "github", "--segments", "4").then(() =>
    parse(readFileSync(join(root, ".github/workflows/rehearse-distributed.yml"), "utf8")),
  );

  it("runs one segment per matrix job from one start, then merges whatever the parts did", async () => {
    const workflow = await written;
    expect(Object.keys(workflow.jobs)).toEqual(["start", "part", "merge"]);
    const part = workflow.jobs.part;
    expect(part.needs).toBe("start");
    expect(part.strategy.matrix.segment).toEqual([1, 2, 3, 4]);
    expect(part.strategy["fail-fast"]).toBe(false);
    const runs = (steps: { run?: string }[]) => steps.flatMap((s) => (s.run ? [s.run] : []));
    expect(runs(part.steps)).toContain(partCommand(plan, GITHUB_SEGMENT, GITHUB_START, "rehearse-part"));
    const merge = workflow.jobs.merge;
    expect(merge.needs).toBe("part");
    expect(merge.if).toContain("!cancelled()");
    expect(runs(merge.steps)).toContain(mergeCommand(plan, "rehearse-parts/*", "rehearse-out"));
    // The start step's command, run here: an ISO instant in the future that --start-at accepts.
    const at = execFileSync("sh", ["-c", workflow.jobs.start.steps[0].run.replace(/ >> "\$GITHUB_OUTPUT"$/, "")], {
      encoding: "utf8",
    }).trim();
    expect(at).toMatch(/^at=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(at.slice(3))).toBeGreaterThan(Date.now());
  });

  it("refuses a bad engine or segment count: exit 2, nothing written", async () => {
    const other = mkdtempSync(join(tmpdir(), "rehearse-init-bad-"));
    expect((await init(other, "--distributed", "nomad")).err).toContain(
      "--distributed: 'nomad' is not one of k8s, github",
    );
    expect((await init(other, "--distributed", "k8s", "--segments", "1")).code).toBe(2);
    expect((await init(other, "--segments", "3")).err).toContain("--segments: only with --distributed");
  });
});
