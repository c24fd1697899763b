/**
 * junit.xml: one test case per threshold, one for the generator's validity,
 * and one per regression check when comparing; failures carry the actual value.
 */

import type { Comparison } from "../compare.ts";
import { actionFailure, type RunReport } from "../schema.ts";
import { withInterval } from "./comparison.ts";
import { escapeXml as x } from "./escape.ts";
import { thresholdEvidence } from "./format.ts";

export interface Case {
  classname: string;
  name: string;
  failure?: string;
}

export function suite(name: string, cases: Case[], timeS: number): string {
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const body = cases.map((c) => {
    const open = `    <testcase classname="${x(c.classname)}" name="${x(c.name)}" time="0"`;
    if (c.failure === undefined) return `${open}/>`;
    return `${open}>\n      <failure message="${x(c.failure)}">${x(c.failure)}</failure>\n    </testcase>`;
  });
  return [
    `  <testsuite name="${x(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${timeS}">`,
    ...body,
    "  </testsuite>",
  ].join("\n");
}

export function renderJunit(report: RunReport, comparison?: Comparison): string {
  const prefix = `rehearse.${report.scenario}`;
  const thresholds: Case[] = report.thresholds.map((t) => ({
    classname: `${prefix}.thresholds`,
    name: `${t.metric} ${t.expression}`,
    failure: t.ok ? undefined : thresholdEvidence(t),
  }));
  thresholds.push({
    classname: `${prefix}.generator`,
    name: "generator valid",
    failure: report.generator.valid ? undefined : report.generator.reasons.join("; ") || "invalid",
  });
  // An action that failed is a rehearsal that did not happen: a failed case, unless marked optional.
  for (const a of report.actions) {
    const failure = actionFailure(a);
    thresholds.push({
      classname: `${prefix}.actions`,
      name: `${a.name} at ${(a.startMs / 1000).toFixed(1)} s`,
      failure: failure !== undefined && !a.optional ? failure : undefined,
    });
  }
  if (report.status === "aborted") {
    thresholds.push({ classname: `${prefix}.run`, name: "run completed", failure: "aborted by a signal" });
  }
  const suites = [suite(`${prefix}.thresholds`, thresholds, report.durationMs / 1000)];
  if (comparison) {
    const checks: Case[] = comparison.rows.map((r) => ({
      classname: `${prefix}.regressions`,
      name: `${r.op} ${r.metric} in ${r.phase}`,
      failure: r.regression
        ? `regression: ${withInterval(r.newMs, r.newInterval)} ${r.unit} vs base ${withInterval(r.baseMs, r.baseInterval)} ${r.unit} (${r.deltaPct === null ? "new" : `+${r.deltaPct}%`}, +${r.deltaMs} ${r.unit}; 95% intervals${r.noise === null ? "" : `, noise ${r.noise}`})`
        : undefined,
    }));
    suites.push(suite(`${prefix}.regressions`, checks, 0));
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="rehearse">\n${suites.join("\n")}\n</testsuites>\n`;
}
