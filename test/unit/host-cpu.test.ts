import { describe, expect, it } from "vitest";
import { cpuBetween, parseProcStat } from "../../harness/sampler/host-cpu.ts";
import { hostCpuByPhase, hostCpuLine } from "../../reports/host-cpu.ts";
import { findings } from "../../reports/render/findings.ts";
import { renderMarkdown } from "../../reports/render/markdown.ts";
import { renderSummary } from "../../reports/summary.ts";
import { sampleReport } from "../fixtures/reports/sample-report.ts";

// The head of /proc/stat on a 2-vCPU guest (user nice system idle iowait irq softirq steal guest guest_nice).
const statAt = (user: number, idle: number, iowait: number, steal: number) =>
  `cpu  ${user} 10 200 ${idle} ${iowait} 0 50 ${steal} 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 12345\n`;

describe("host CPU from /proc/stat", () => {
  it("parses the aggregate line: busy is user+nice+system+irq+softirq", () => {
    expect(parseProcStat(statAt(1000, 5000, 30, 70))).toEqual({ busy: 1260, idle: 5000, iowait: 30, steal: 70 });
    expect(parseProcStat("intr 1 2 3\n")).toBeUndefined();
    expect(parseProcStat("cpu  1 2 x 4 5 6 7 8\n")).toBeUndefined();
  });

  it("turns two readings into the interval's percentages", () => {
    const before = parseProcStat(statAt(1000, 5000, 30, 70));
    const after = parseProcStat(statAt(1060, 5120, 35, 85)); // 60 busy, 120 idle, 5 iowait, 15 steal of 200
    expect(before && after && cpuBetween(before, after)).toEqual({ busyPct: 30, iowaitPct: 2.5, stealPct: 7.5 });
    expect(before && cpuBetween(before, before)).toBeUndefined();
  });
});

describe("host CPU in the report", () => {
  it("summarises each phase: mean busy, mean and worst steal", () => {
    expect(hostCpuByPhase(sampleReport())).toEqual([
      { phase: "baseline", seconds: 10, busyPctMean: 40, stealPctMean: 5.2, stealPctMax: 15 },
      { phase: "fault", seconds: 10, busyPctMean: 40, stealPctMean: 1, stealPctMax: 1 },
      { phase: "after", seconds: 10, busyPctMean: 40, stealPctMean: 1, stealPctMax: 1 },
    ]);
    expect(hostCpuLine(sampleReport())).toBe(
      "host CPU: baseline 40% busy, steal ≤ 15% · fault 40% busy, steal ≤ 1% · after 40% busy, steal ≤ 1%",
    );
  });

  it("a phase with much steal is a finding (after what users feel); the summaries carry the line", () => {
    const texts = findings(sampleReport()).map((f) => f.text);
    const steal = texts.findIndex((t) => t.includes("steal"));
    expect(texts[steal]).toBe(
      "the host lost up to 15% of its CPU to other machines (steal) in baseline (mean 5.2%): latency changes of a few ms there may be noise, not the fault",
    );
    expect(steal).toBeGreaterThan(texts.findIndex((t) => t.startsWith("dashboard")));
    expect(renderSummary(sampleReport())).toContain("  host CPU: baseline 40% busy, steal ≤ 15%");
    expect(renderMarkdown(sampleReport())).toContain("host CPU: baseline 40% busy, steal ≤ 15%");
  });

  it("steal in a warm-up phase (before the baseline, not measured) is no finding", () => {
    const report = sampleReport();
    // The stolen seconds (2–4) now fall in a warm-up before a shorter baseline.
    report.phases = [
      { name: "warmup", startMs: 0, endMs: 5_000 },
      { name: "baseline", startMs: 5_000, endMs: 10_000 },
      ...report.phases.slice(1),
    ];
    const steal = findings(report).filter((f) => f.text.includes("steal"));
    expect(steal.map((f) => f.phase)).toEqual([]);
    expect(hostCpuLine(report)).toContain("warmup 40% busy, steal ≤ 15%");
  });

  it("no host samples (an old report, or not Linux): no line, no finding", () => {
    const report = sampleReport();
    report.timeline = report.timeline.map(({ host: _host, ...rest }) => rest);
    expect(hostCpuLine(report)).toBeUndefined();
    expect(findings(report).some((f) => f.text.includes("steal"))).toBe(false);
  });
});
