import { describe, expect, it } from "vitest";
import { chartData } from "../../reports/render/chart-data.ts";
import { escapeMdCell, escapeXml } from "../../reports/render/escape.ts";
import { findings } from "../../reports/render/findings.ts";
import { renderHtml } from "../../reports/render/html.ts";
import { renderJunit } from "../../reports/render/junit.ts";
import { renderMarkdown } from "../../reports/render/markdown.ts";
import { FORMAT_NAMES, RENDERERS } from "../../reports/render/registry.ts";
import { severity } from "../../reports/render/tables.ts";
import { renderSummary } from "../../reports/summary.ts";
import { ODD_OP, sampleReport } from "../fixtures/reports/sample-report.ts";

describe("renderers registry", () => {
  it("names every format and renders each without throwing", () => {
    expect(FORMAT_NAMES.sort()).toEqual(["findings", "html", "junit", "md"]);
    for (const name of FORMAT_NAMES) expect(RENDERERS[name].render(sampleReport()).length).toBeGreaterThan(10);
  });
});

describe("findings", () => {
  it("ranks what users feel first and quotes the evidence", () => {
    const list = findings(sampleReport());
    expect(list[0]?.text).toBe(
      "dashboard failed 3% of requests (baseline 0%) in fault (while backup, flush-cache ran); dashboard p95 rose from 12 ms to 340 ms; waiting 120 ms for a connection (pool-wait p95, baseline 0.5 ms); cache hit ratio fell from 90% to 40%; back within its baseline band 10 s after the fault",
    );
    // Then each fault's cause and effect, and what the servers saw: PgBouncer's pool exhausted.
    expect(list[1]?.text).toBe(
      "backup at 10.0 s: the dump took 8 s for 19.0 MB; 30 iterations failed meanwhile (dashboard 30); dashboard p95 peaked at 340 ms (baseline p95 12 ms; a second of its usual 100 requests is in band up to 18 ms), back within it 10 s after",
    );
    expect(list[2]?.text).toMatch(/^flush-cache at 12.0 s emptied 40 keys; Redis' hit ratio fell from 90% to 60%/);
    expect(list[3]?.text).toBe(
      "PgBouncer's pool of 20 was exhausted in fault: all 20 server connections busy, up to 14 clients queued and waited up to 1.8 s",
    );
    // The odd op's +0.5 ms is noise, not a finding.
    expect(list.some((f) => f.op === ODD_OP)).toBe(false);
  });

  it("names the actions of a phase: an instant one at its very start, not one that only spilled 200 ms in", () => {
    const report = sampleReport();
    report.actions = [
      { name: "freeze", startMs: 4_000, endMs: 10_200, result: {} },
      { name: "flush-cache", startMs: 10_000, endMs: 10_000, result: { scope: "prefix", keysRemoved: 40 } },
    ];
    expect(findings(report)[0]?.text).toMatch(
      /^dashboard failed 3% of requests \(baseline 0%\) in fault \(while flush-cache ran\);/,
    );
  });

  it("a maxmemory share says the limit it set and the keys' bytes it was a share of", () => {
    const report = sampleReport();
    const result = { value: "50%", bytes: 1_333_248, keyBytes: 437_248, previous: "0", policy: "allkeys-lru" };
    report.actions = [{ name: "maxmemory", startMs: 12_000, endMs: 24_500, result: { ...result, evictedKeys: 611 } }];
    expect(findings(report).map((f) => f.text)).toContainEqual(
      expect.stringMatching(
        /^maxmemory at 12\.0 s squeezed Redis to 1302 kB, room for 50% of its keys' 427 kB \(allkeys-lru\) for 12\.5 s: 611 keys evicted/,
      ),
    );
  });
});

describe("findings: services that stopped answering", () => {
  it("a crash no action explains is the first finding, with what failed after it", () => {
    const report = sampleReport();
    report.actions = [];
    report.outages = [
      { service: "postgres", fromMs: 10_000, toMs: null, reason: "connect ECONNREFUSED 127.0.0.1:5432" },
    ];
    expect(findings(report)[0]?.text).toBe(
      "Postgres stopped answering at 10.0 s and did not come back; 1.5% of dashboard iterations failed after it (connect ECONNREFUSED 127.0.0.1:5432)",
    );
  });

  it("one that came back says for how long; one a freeze of the same service caused is no finding", () => {
    const report = sampleReport();
    report.actions = [{ name: "freeze", startMs: 10_000, endMs: 15_000, result: { service: "redis", reverted: true } }];
    report.outages = [
      { service: "redis", fromMs: 10_000, toMs: 15_000, reason: "timeout" },
      { service: "pgbouncer", fromMs: 20_000, toMs: 24_000, reason: "ECONNRESET" },
    ];
    const texts = findings(report).map((f) => f.text);
    expect(texts[0]).toBe(
      "PgBouncer stopped answering at 20.0 s and answered again at 24.0 s (4.0 s without it) (ECONNRESET)",
    );
    expect(texts.some((t) => t.startsWith("Redis"))).toBe(false);
  });
});

describe("markdown", () => {
  const md = renderMarkdown(sampleReport());
  it("has the status, thresholds, delta table and recovery", () => {
    expect(md).toContain("## ❌ rehearse: sample — FAILED");
    expect(md).toContain("| ❌ | latency{op:dashboard,phase:fault} | p(95)\\<300 | 340 |");
    expect(md).toContain("| fault | dashboard | 12 → 340 | +328 | +492 | 0.5 → 120 | +119.5 | 3% | -50 pts | 10 s |");
    // The servers' signals once per phase, not repeated on every op's row.
    expect(md).toContain("| fault | 0 (+0) | 14 | 1.8 s | 20 | 90% → 62.1% | 0 |  | 0 |");
    expect(md).toContain(
      "| backup | 10.0 s | 8 s | exitCode 0, durationMs 8000, bytes 19000000 | dashboard back in 10 s |",
    );
  });
  it("escapes odd op names so the table keeps its columns", () => {
    const row = md.split("\n").find((l) => l.startsWith("| fault | \\<b\\>odd"));
    expect(row).toBeDefined();
    expect(row?.split(/(?<!\\)\|/).length).toBe(12);
    expect(escapeMdCell("a|b`c")).toBe("a\\|b\\`c");
  });
});

describe("junit", () => {
  const xml = renderJunit(sampleReport());
  it("one test case per threshold, the generator and each action, failures carrying the actual value", () => {
    expect(xml.match(/<testcase /g)).toHaveLength(5);
    expect(xml).toContain('tests="5" failures="1"');
    expect(xml).toContain(
      '<testcase classname="rehearse.sample.thresholds" name="latency{op:dashboard,phase:fault} p(95)&#60;300" time="0">',
    );
    expect(xml).toContain('<failure message="actual 340">actual 340</failure>');
    expect(xml).toContain('name="generator valid" time="0"/>');
  });
  it("an action that failed is a failed case, unless the scenario marked it optional", () => {
    const report = sampleReport();
    report.actions = [
      { name: "restart", startMs: 12_400, endMs: 12_500, result: { error: "stop redis timed out" } },
      { name: "backup", startMs: 13_000, endMs: 14_000, result: { error: "pg_dump: no space" }, optional: true },
    ];
    const out = renderJunit(report);
    expect(out).toMatch(/name="restart at 12.4 s" time="0">\s*<failure message="stop redis timed out">/);
    expect(out).toContain('name="backup at 13.0 s" time="0"/>');
    expect(findings(report)[0]?.text).not.toMatch(/^action/); // the 3% error rate still comes first
    expect(findings(report)[1]?.text).toBe("action restart failed: stop redis timed out");
  });
  it("escapes odd names and drops characters XML forbids", () => {
    expect(xml).toContain("&#60;b&#62;odd&#60;/b&#62; | &#34;op&#34; &#38; &#39;more&#39;");
    expect(xml).not.toContain("<b>");
    expect(escapeXml("a\u0001b")).toBe("ab");
  });
});

describe("html", () => {
  const html = renderHtml(sampleReport());
  it("is self-contained: the charting library inlined, nothing fetched", () => {
    expect(html).toContain("uPlot");
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    // uPlot's licence comment names its home page; no attribute or CSS points anywhere.
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?https?:/);
    expect(html).not.toMatch(/url\(\s*["']?https?:/);
    expect(html).toContain("default-src 'none'");
  });
  it("escapes odd op names in tables and in the embedded data", () => {
    expect(html).not.toContain(ODD_OP);
    expect(html).toContain("&#60;b&#62;odd&#60;/b&#62; | &#34;op&#34; &#38; &#39;more&#39;");
    const data = /<script id="rehearse-data" type="application\/json">(.*?)<\/script>/s.exec(html)?.[1] ?? "";
    expect(data).not.toContain("<");
    expect(JSON.parse(data).charts[0].series.map((s: { label: string }) => s.label)).toContain(ODD_OP);
  });
  it("colours deltas by how bad they are", () => {
    expect(severity(328, 12)).toBe("bad");
    expect(severity(10, 12)).toBe("warn");
    expect(severity(0.5, 4)).toBe("");
    expect(severity(-10, 20)).toBe("good");
    expect(html).toContain('<td class="bad">+328</td>');
  });
  it("charts the series over the run with phases and action windows as bands", () => {
    const { charts, bands } = chartData(sampleReport());
    expect(charts.map((c) => c.id)).toEqual([
      "latency",
      "pool-wait",
      "throughput",
      "pgbouncer",
      "server-wait",
      "cache",
      "host-cpu",
    ]);
    expect(charts[0]?.x).toHaveLength(30);
    expect(charts[0]?.series[0]?.values[15]).toBe(340);
    expect(charts.find((c) => c.id === "cache")?.series[0]?.values[5]).toBe(90);
    expect(bands.filter((b) => b.kind === "action")).toEqual([
      { kind: "action", label: "backup", startS: 10, endS: 18 },
      { kind: "action", label: "flush-cache", startS: 12, endS: 12.01 },
    ]);
  });
});

describe("a merged run and a part say so in every rendering", () => {
  const merged = {
    ...sampleReport(),
    merged: {
      count: 3,
      startAt: "2026-12-02T10:00:00.000Z",
      conductor: 1,
      parts: [],
      missing: [3],
      overlapping: [],
      late: [2],
    },
  };
  it("names the missing and late segments in the Markdown, the HTML and the console summary", () => {
    const line = "merged from 0 of 3 segments started at 2026-12-02T10:00:00.000Z (missing 3; late 2)";
    expect(renderMarkdown(merged)).toContain(line);
    expect(renderHtml(merged)).toContain(line);
    expect(renderSummary(merged)).toContain(line);
  });
  it("tells a part's reader that the verdict is the merged report's", () => {
    const part = {
      ...sampleReport(),
      segment: {
        index: 2,
        count: 3,
        startAt: "2026-12-02T10:00:00.000Z",
        startLagMs: 3.2,
        clockSource: "system clock (tsc)",
        loadOnly: true,
        durationScale: 1,
        lagToleranceMs: 30,
      },
    };
    expect(renderSummary(part)).toContain("segment 2/3 (load only) of a run from 2026-12-02T10:00:00.000Z");
    expect(renderSummary(part)).toContain("its load began 3.2 ms after the shared start");
  });
});

describe("a run's load workers (--workers)", () => {
  it("the summary counts them and names one that fell behind; the HTML lists each", () => {
    const report = sampleReport();
    const worker = (segment: string, valid: boolean) => ({
      segment,
      valid,
      reasons: valid ? [] : ["achieved 80.0/s of 100.0/s"],
      targetRate: 100,
      achievedRate: valid ? 100 : 80,
      dispatchLagP99Ms: 1.5,
      lateShare: 0,
      eventLoopDelayP99Ms: 2,
    });
    report.generator = { ...report.generator, workers: [worker("1/2", true), worker("2/2", false)] };
    const summary = renderSummary(report);
    expect(summary).toMatch(/generator: .*\(2 load threads\)/);
    expect(summary).toContain("load worker 2/2: INVALID: achieved 80.0/s of 100.0/s, 80.0/100.0 it/s");
    expect(summary).not.toContain("load worker 1/2");
    const html = renderHtml(report);
    expect(html).toContain("load worker 1/2");
    expect(html).toMatch(/load worker 2\/2<\/td><td class="bad">INVALID/);
  });
});
