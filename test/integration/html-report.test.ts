/// <reference lib="dom" />
/**
 * A shipped scenario's report.html opened in a real headless Chromium
 * (Debian's package, driven by playwright-core): the charts draw data points,
 * phases and action windows are shaded, no console errors, no network
 * requests. A screenshot is kept in test-artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { readReport, runRehearse } from "../helpers/rehearse-process.ts";
import { newStateDir, testEnv } from "../helpers/stack.ts";

const CHROMIUM = process.env.REHEARSE_CHROMIUM ?? "/usr/bin/chromium";
const COLD_CACHE = fileURLToPath(new URL("../../scenarios/cold-cache.ts", import.meta.url));
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
// Chromium's own background traffic would be refused by this network: switched off, as on these machines.
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

interface ChartState {
  id: string;
  points: number;
  bands: number;
  inked: number;
}

describe("report.html in headless Chromium", () => {
  it("cold-cache's report: charts with data, shaded phases and actions, no errors, no requests", async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} (Debian package chromium) is required`).toBe(true);
    const out = mkdtempSync(join(tmpdir(), "rehearse-test-out-"));
    const run = await runRehearse(
      ["run", COLD_CACHE, "--provider", "native", "--out", out, "--duration-scale", "0.4"],
      testEnv(newStateDir()),
      120_000,
    );
    expect([0, 99]).toContain(run.code);
    const report = readReport(out, "cold-cache");
    for (const file of ["report.html", "report.md", "junit.xml", "findings.txt"])
      expect(existsSync(join(out, "cold-cache", file)), file).toBe(true);
    expect(readFileSync(join(out, "rehearse.log"), "utf8")).toContain('"msg":"report written"');

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("request", (r) => requests.push(r.url()));
      const url = pathToFileURL(join(out, "cold-cache", "report.html")).href;
      await page.goto(url, { waitUntil: "load", timeout: 30_000 });
      await page.waitForFunction(() => (window as { rehearseCharts?: unknown[] }).rehearseCharts?.length === 7, null, {
        timeout: 10_000,
      });
      const charts = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>(".chart")].map((root) => {
          const canvas = root.querySelector("canvas");
          const pixels = canvas?.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
          let inked = 0;
          for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) inked++;
          return {
            id: root.id.replace("chart-", ""),
            points: Number(root.dataset.points),
            bands: Number(root.dataset.bands),
            inked,
          };
        }),
      );
      const bands = report.phases.length + report.actions.length;
      expect(charts.map((c: ChartState) => c.id)).toEqual([
        "latency",
        "pool-wait",
        "throughput",
        "pgbouncer",
        "server-wait",
        "cache",
        "host-cpu",
      ]);
      for (const chart of charts as ChartState[]) {
        expect(chart.points, chart.id).toBeGreaterThan(5);
        expect(chart.bands, chart.id).toBe(bands);
        expect(chart.inked, chart.id).toBeGreaterThan(1000);
      }
      expect(await page.locator("h2", { hasText: "Deltas against the baseline" }).count()).toBe(1);
      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "report-cold-cache.png"), fullPage: true });
      // Zooming the first chart zooms every chart to the same seconds; the cursor follows across charts.
      const over = await page.locator(".chart .u-over").first().boundingBox();
      if (over) await page.mouse.move(over.x + over.width / 2, over.y + over.height / 2);
      const synced = await page.evaluate(async () => {
        type U = {
          scales: { x: { min: number; max: number } };
          cursor: { left: number };
          setScale: (key: string, range: { min: number; max: number }) => void;
        };
        const all = (window as unknown as { rehearseCharts: { chart: U }[] }).rehearseCharts.map((c) => c.chart);
        const cursors = all.map((u) => u.cursor.left);
        all[0]?.setScale("x", { min: 5, max: 15 });
        // uPlot applies scale changes in a microtask batch: let it commit and redraw.
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50)));
        return all.map((u, i) => ({ min: u.scales.x.min, max: u.scales.x.max, cursor: cursors[i] }));
      });
      expect(synced).toHaveLength(7);
      for (const chart of synced) {
        expect(chart).toMatchObject({ min: 5, max: 15 });
        expect(chart.cursor).toBeGreaterThan(0); // a hidden cursor sits at -10
      }
    } finally {
      await browser.close();
    }
  });
});
