/**
 * The HTML report's in-page script (plain browser JavaScript, as a string):
 * one uPlot chart per series set, with phases shaded in grey and action
 * windows in orange, both labelled; cursors and zoom move together across
 * charts. It marks each chart's root with what it
 * drew (data-points, data-bands) so a browser test can check the page.
 */
export const CHART_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById("rehearse-data").textContent);
  var palette = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d"];
  window.rehearseCharts = [];
  function bandsPlugin(bands, root) {
    return {
      hooks: {
        drawClear: [function (u) {
          var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height, drawn = 0;
          ctx.save();
          bands.forEach(function (b, i) {
            var x0 = u.valToPos(b.startS, "x", true), x1 = u.valToPos(b.endS, "x", true);
            var w = Math.max(x1 - x0, 2 * devicePixelRatio);
            if (b.kind === "phase") ctx.fillStyle = i % 2 ? "rgba(100,116,139,0.10)" : "rgba(100,116,139,0.03)";
            else if (b.kind === "outage") ctx.fillStyle = "rgba(220,38,38,0.18)";
            else ctx.fillStyle = "rgba(249,115,22,0.22)";
            ctx.fillRect(x0, top, w, height);
            ctx.fillStyle = b.kind === "phase" ? "#475569" : b.kind === "outage" ? "#b91c1c" : "#c2410c";
            ctx.font = (11 * devicePixelRatio) + "px sans-serif";
            ctx.fillText(b.label, x0 + 3 * devicePixelRatio, top + (b.kind === "phase" ? 12 : b.kind === "outage" ? 40 : 26) * devicePixelRatio);
            drawn++;
          });
          ctx.restore();
          root.dataset.bands = String(drawn);
        }],
      },
    };
  }
  // Zooming one chart (drag to select) zooms them all to the same seconds; the cursor moves in all.
  var syncingZoom = false;
  function syncZoom(u, key) {
    if (key !== "x" || syncingZoom) return;
    syncingZoom = true;
    window.rehearseCharts.forEach(function (c) {
      if (c.chart !== u) c.chart.setScale("x", { min: u.scales.x.min, max: u.scales.x.max });
    });
    syncingZoom = false;
  }
  data.charts.forEach(function (chart) {
    var root = document.getElementById("chart-" + chart.id);
    var points = 0;
    chart.series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null) points++; }); });
    root.dataset.points = String(points);
    if (chart.x.length === 0) { root.textContent = "no samples"; return; }
    var opts = {
      title: chart.title + " (" + chart.unit + ")",
      width: Math.max(600, root.clientWidth || 900),
      height: 260,
      scales: { x: { time: false } },
      axes: [{ label: "seconds" }, { label: chart.unit }],
      series: [{ label: "s" }].concat(chart.series.map(function (s, i) {
        return { label: s.label, stroke: palette[i % palette.length], width: 1.5, spanGaps: false };
      })),
      cursor: { sync: { key: "rehearse" } },
      hooks: { setScale: [syncZoom] },
      plugins: [bandsPlugin(data.bands, root)],
    };
    var u = new uPlot(opts, [chart.x].concat(chart.series.map(function (s) { return s.values; })), root);
    window.rehearseCharts.push({ id: chart.id, points: points, chart: u });
  });
})();
`;
