/**
 * `rehearse init --distributed k8s|github`: one run's load from several machines on an engine the team
 * already runs. Each copy runs one segment (`--segment i/N --start-at <time>`) against the staging target,
 * segment 1 conducts the actions; the parts are merged by `rehearse merge`. A Kubernetes Indexed Job maps
 * JOB_COMPLETION_INDEX (0-based) to the segment; a GitHub Actions matrix does it with `matrix.segment`.
 */

import { checkoutAndInstall } from "./repo-templates.ts";

/** Parts written by default (--segments changes it). */
export const DEFAULT_SEGMENTS = 3;

export interface DistributedPlan {
  /** The scenario and target, from the repository root. */
  scenario: string;
  target: string;
  segments: number;
}

/** One part's command, with the shell's or the engine's expressions for its segment and the shared start. */
export function partCommand(plan: DistributedPlan, segment: string, startAt: string, out: string): string {
  return `npx rehearse run ${plan.scenario} --target ${plan.target} --segment ${segment}/${plan.segments} --start-at ${startAt} --out ${out} --no-progress`;
}

export function mergeCommand(plan: DistributedPlan, parts: string, out: string): string {
  return `npx rehearse merge ${parts} --out ${out} --scenario ${plan.scenario}`;
}

/** Lead for the shared start: the time every copy needs to be scheduled, install and connect. */
export const GITHUB_START_LEAD = "+5 minutes";
export const K8S_START_LEAD = "+3 minutes";

/** The workflow's expressions for a matrix job's segment and the start job's instant (GitHub's syntax). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
export const GITHUB_SEGMENT = "${{ matrix.segment }}";
// biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
export const GITHUB_START = "${{ needs.start.outputs.at }}";

const STAGING_SECRETS = ["STAGING_PG_PASSWORD", "STAGING_REDIS_PASSWORD"];

export function githubWorkflow(plan: DistributedPlan): string {
  const matrix = Array.from({ length: plan.segments }, (_, i) => i + 1).join(", ");
  const secrets = STAGING_SECRETS.map((s) => `          ${s}: \${{ secrets.${s} }}`).join("\n");
  return `# One rehearsal's load from ${plan.segments} runners, written by \`rehearse init --distributed github\`.
# Each matrix job runs one segment of every executor's schedule (rehearse run --segment i/${plan.segments}: k6's
# execution segments) against the staging target, all from one start instant; segment 1 conducts the
# scenario's actions and samples the servers. The merge job merges the parts into one report (histograms
# merged: the p95 of all the parts' samples) and fails on a breached budget or an invalid run (a missing
# part, or one that began late). The target must reach staging from GitHub's runners: list its host in
# allowHosts (traffic goes to loopback only otherwise) and store its passwords as repository secrets.
name: rehearse distributed

on:
  workflow_dispatch: {}

permissions:
  contents: read

jobs:
  start:
    runs-on: ubuntu-latest
    outputs:
      at: \${{ steps.at.outputs.at }}
    steps:
      - id: at
        # Long enough for every matrix job to be scheduled, install and connect; a part ready later refuses.
        run: echo "at=$(date -u -d '${GITHUB_START_LEAD}' +%Y-%m-%dT%H:%M:%SZ)" >> "$GITHUB_OUTPUT"

  part:
    needs: start
    runs-on: ubuntu-latest
    timeout-minutes: 60
    strategy:
      fail-fast: false
      matrix:
        segment: [${matrix}]
    steps:
${checkoutAndInstall("npm ci")}      - name: Rehearse one segment
        run: ${partCommand(plan, GITHUB_SEGMENT, GITHUB_START, "rehearse-part")}
        env:
${secrets}
      - name: Keep the part
        if: \${{ !cancelled() }}
        uses: actions/upload-artifact@v4
        with:
          name: rehearse-part-\${{ matrix.segment }}
          path: rehearse-part/
          retention-days: 7

  merge:
    needs: part
    if: \${{ !cancelled() }}
    runs-on: ubuntu-latest
    steps:
${checkoutAndInstall("npm ci")}      - uses: actions/download-artifact@v4
        with:
          pattern: rehearse-part-*
          path: rehearse-parts
      - name: Merge the parts
        run: ${mergeCommand(plan, "rehearse-parts/*", "rehearse-out")}
      - name: Keep the merged report
        if: \${{ !cancelled() }}
        uses: actions/upload-artifact@v4
        with:
          name: rehearse-merged
          path: rehearse-out/
          retention-days: 30
`;
}

/** Lines around a part's report.json in its pod's log: `kubectl logs` is how the parts leave the cluster
 * (a pod's files go with it; its log stays while the Job does). */
export const PART_BEGIN = "--- rehearse part: report.json ---";
export const PART_END = "--- rehearse part: end ---";

const K8S_NAME = "rehearse";
/** Inside the repository's image, so the scenario's `import "rehearse"` finds /app/node_modules. */
const K8S_MOUNT = "/app/rehearse-k8s";

/** The Indexed Job's objects: a ConfigMap with the scenario and the target, and the Job. */
export function k8sObjects(plan: DistributedPlan, files: { scenario: string; target: string }, image: string) {
  const inPod: DistributedPlan = { ...plan, scenario: `${K8S_MOUNT}/scenario.ts`, target: `${K8S_MOUNT}/target.json` };
  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `${K8S_NAME}-scenario` },
    data: { "scenario.ts": files.scenario, "target.json": files.target },
  };
  // JOB_COMPLETION_INDEX is 0-based, segments 1-based; START_AT is set when the Job is applied.
  const part = partCommand(inPod, "$((JOB_COMPLETION_INDEX + 1))", '"$START_AT"', "/tmp/part");
  const job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: K8S_NAME, labels: { app: K8S_NAME } },
    spec: {
      completionMode: "Indexed",
      completions: plan.segments,
      parallelism: plan.segments,
      // A failed part is not run again: a second attempt would begin after the shared start.
      backoffLimit: 0,
      template: {
        metadata: { labels: { app: K8S_NAME } },
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: "part",
              image,
              workingDir: "/app",
              command: ["sh", "-c"],
              args: [
                `${part}; status=$?; echo '${PART_BEGIN}'; cat /tmp/part/*/report.json; echo; echo '${PART_END}'; exit $status`,
              ],
              env: [
                { name: "START_AT", value: "REPLACE-WITH-THE-START-INSTANT" },
                ...STAGING_SECRETS.map((s) => ({
                  name: s,
                  valueFrom: { secretKeyRef: { name: "rehearse-staging", key: s } },
                })),
              ],
              volumeMounts: [{ name: "scenario", mountPath: K8S_MOUNT, readOnly: true }],
              resources: { requests: { cpu: "1", memory: "512Mi" }, limits: { memory: "1Gi" } },
            },
          ],
          volumes: [{ name: "scenario", configMap: { name: `${K8S_NAME}-scenario` } }],
        },
      },
    },
  };
  return { configMap, job };
}

/** The steps around the Job: build the image, apply with a start instant, collect the parts, merge. */
export function k8sCommands(plan: DistributedPlan, k8sDir: string) {
  return {
    configMap: `kubectl create configmap ${K8S_NAME}-scenario --from-file=scenario.ts=${plan.scenario} --from-file=target.json=${plan.target} --dry-run=client -o yaml | kubectl apply -f -`,
    apply: `START_AT=$(date -u -d '${K8S_START_LEAD}' +%Y-%m-%dT%H:%M:%SZ) && sed "s/REPLACE-WITH-THE-START-INSTANT/$START_AT/" ${k8sDir}/job.yaml | kubectl apply -f -`,
    wait: `kubectl wait --for=condition=complete --timeout=60m job/${K8S_NAME}`,
    // Every pod of the Job, whichever index: each part's report says its segment.
    collect: `for pod in $(kubectl get pods -l job-name=${K8S_NAME} -o name); do mkdir -p "rehearse-parts/\${pod#pod/}" && kubectl logs "$pod" | sed -n '/^${PART_BEGIN}$/,/^${PART_END}$/p' | sed '1d;$d' > "rehearse-parts/\${pod#pod/}/report.json"; done`,
    merge: mergeCommand(plan, "rehearse-parts/*", "rehearse-out"),
    cleanUp: `kubectl delete job/${K8S_NAME}`,
  };
}

export function k8sReadme(plan: DistributedPlan, k8sDir: string): string {
  const c = k8sCommands(plan, k8sDir);
  return `# One rehearsal from ${plan.segments} pods: a Kubernetes Indexed Job

Written by \`rehearse init --distributed k8s\`. \`job.yaml\` runs ${plan.segments} pods (\`completionMode: Indexed\`);
pod \`JOB_COMPLETION_INDEX\` k runs segment k+1 of ${plan.segments} of every executor's schedule
(\`rehearse run --segment\`, k6's execution segments), all from one start instant (\`START_AT\`); segment 1
conducts the scenario's actions and samples the servers, the others only load. Each pod prints its part's
report.json into its log; the steps below collect the parts and merge them into one report (the p95 of
every part's samples, from their histograms) judged with the scenario's budgets.

\`configmap.yaml\` holds ${plan.scenario} and ${plan.target} as they were when init wrote it; after
you change either, make it again (step 2). The target must reach staging from the pods: list its hosts in
\`allowHosts\` (rehearse sends traffic to loopback only otherwise), and its passwords come from the Secret
\`rehearse-staging\` (keys STAGING_PG_PASSWORD, STAGING_REDIS_PASSWORD), never from these files.

1. An image of this repository with its dependencies installed (the pods run \`npx rehearse\` in /app), e.g.
   a Dockerfile with \`FROM node:22\`, \`WORKDIR /app\`, \`COPY . .\`, \`RUN npm ci\`; push it and put its name
   in job.yaml's \`image\`.
2. The scenario and target: \`${c.configMap}\`
3. Start the parts, ${K8S_START_LEAD.slice(1)} from now: \`${c.apply}\`
4. Wait for them: \`${c.wait}\`
5. Collect the parts from the pods' logs: \`${c.collect}\`
6. Merge: \`${c.merge}\` (exit 0 passed, 99 failed or invalid: a missing part, or one that began late)
7. Clean up: \`${c.cleanUp}\`

Not run here: rehearse's own tests validate job.yaml against the Kubernetes API schema
(kubernetes-models) and run these commands' rehearse parts on one machine; no cluster ran them.
`;
}
