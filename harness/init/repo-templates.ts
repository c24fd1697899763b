/**
 * What `rehearse init` writes besides the scenario: a target file for a
 * staging stack, the nightly workflow, a short README. The workflow's `run`
 * steps are the commands the README's "Nightly regression runs" section gives
 * (a unit test holds them together).
 */

import { MAX_BASELINES } from "../compare/compare-suite.ts";

/** Runs per scenario each night: their spread is the night's own noise, their histograms merged are tighter. */
export const NIGHTLY_REPEAT = 3;

/** The nightly job's commands, in order. `dir` is where init put the scenarios. */
export function nightlyCommands(dir: string): { install: string; rehearse: string; compare: string } {
  return {
    install: "npm ci",
    rehearse: `npx rehearse run ${dir}/*.ts --repeat ${NIGHTLY_REPEAT} --provider testcontainers --out rehearse-out`,
    compare: `npx rehearse compare ${dir}/baselines rehearse-out`,
  };
}

/** A job's first steps in every workflow init writes: the repository, Node 22 with npm's cache, the install. */
export function checkoutAndInstall(install: string): string {
  return `      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 22
          cache: npm
      - name: Install
        run: ${install}
`;
}

export function nightlyWorkflow(dir: string): string {
  const c = nightlyCommands(dir);
  return `# Nightly rehearsal, written by \`rehearse init\`. Runs every scenario in ${dir}/ on a fresh
# stack (Testcontainers: Docker is there on GitHub's runners), fails on a threshold breach
# (exit 99) or a regression against the accepted baselines in ${dir}/baselines/, and
# keeps the HTML report. Each report's Markdown lands in the job's step summary
# (rehearse appends it to $GITHUB_STEP_SUMMARY itself). Accept a run as the new
# baseline by committing its report.json:
#   cp rehearse-out/<scenario>/report.json ${dir}/baselines/<scenario>-$(date +%F).json
# Each scenario runs ${NIGHTLY_REPEAT} times a night (--repeat): compare merges them and measures their
# spread. Keep several accepted runs too (compare uses the newest ${MAX_BASELINES}; delete older ones):
# their spread is the noise a change must exceed to be a regression.
name: rehearse nightly

on:
  schedule:
    - cron: "17 3 * * *"
  workflow_dispatch: {}

permissions:
  contents: read

jobs:
  rehearse:
    runs-on: ubuntu-latest
    timeout-minutes: 45
    steps:
${checkoutAndInstall(c.install)}      - name: Rehearse
        run: ${c.rehearse}
      - name: Compare with the accepted baselines
        if: \${{ !cancelled() }}
        run: ${c.compare}
      - name: Keep the reports
        if: \${{ !cancelled() }}
        uses: actions/upload-artifact@v4
        with:
          name: rehearse-reports
          path: rehearse-out/
          retention-days: 30
`;
}

/** A staging target: loopback by default (an SSH tunnel, say); secrets come from the environment. */
/** A `${VAR}` reference, read from the environment when the target file is loaded. */
const fromEnv = (name: string) => `\${${name}}`;

export function stagingTarget(): string {
  return `${JSON.stringify(
    {
      name: "staging",
      postgres: `postgres://rehearse:${fromEnv("STAGING_PG_PASSWORD")}@127.0.0.1:5432/app`,
      pgbouncer: `postgres://rehearse:${fromEnv("STAGING_PG_PASSWORD")}@127.0.0.1:6432/app`,
      redis: `redis://:${fromEnv("STAGING_REDIS_PASSWORD")}@127.0.0.1:6379`,
      allowHosts: [],
      app: { baseUrl: "http://127.0.0.1:3000" },
    },
    null,
    2,
  )}\n`;
}

export function initReadme(dir: string, scenario: string): string {
  return `# Rehearsals

Written by \`rehearse init\`. The files:

- \`${scenario}.ts\`: a scenario for this repo (its comments say what to change).
  Run it: \`npx rehearse run ${dir}/${scenario}.ts\` (a report lands in \`rehearse-out/\`).
- \`staging.target.json\`: a staging stack instead of the one rehearse starts:
  \`npx rehearse run ${dir}/${scenario}.ts --target ${dir}/staging.target.json\`. Passwords are
  \`\${VAR}\` references read from the environment, never written here. Traffic goes to loopback
  only (an SSH tunnel, say) unless a host is listed in \`allowHosts\`; faults that touch the servers
  need \`allowExternal: true\` on the action.
- \`baselines/\`: accepted runs the nightly job compares with
  (\`npx rehearse compare ${dir}/baselines rehearse-out\`). Accept one by copying a run's
  \`report.json\` here; keep several, so compare can tell noise from a regression.
- \`../.github/workflows/rehearse-nightly.yml\`: the nightly job.
`;
}
