/** The HTML report's time series, built from report.json: per-op series per second, sampler series, and bands. */
import type { RunReport } from "../schema.ts";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

export interface Chart {
  id: string;
  title: string;
  unit: string;
  /** Seconds since the run's start (the sampler's clock). */
  x: number[];
  series: ChartSeries[];
}

export interface Band {
  kind: "phase" | "action" | "outage";
  label: string;
  startS: number;
  endS: number;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

export function chartData(report: RunReport): { charts: Chart[]; bands: Band[] } {
  const ops = Object.entries(report.perSecond?.ops ?? {});
  const seconds = Math.max(0, ...ops.map(([, s]) => s.count.length));
  const x = Array.from({ length: seconds }, (_, i) => round((report.perSecond.originMs + (i + 1) * 1000) / 1000));
  const perOp = (pick: (s: (typeof ops)[number][1]) => (number | null)[]) =>
    ops.map(([op, s]) => ({ label: op, values: pick(s) }));
  const sum = (pick: (s: (typeof ops)[number][1]) => number[]) =>
    x.map((_, i) => ops.reduce((n, [, s]) => n + (pick(s)[i] ?? 0), 0));

  const samples = report.timeline;
  const tx = samples.map((s) => round(s.tMs / 1000));
  const hitRatio = samples.map((s, i) => {
    const prev = samples[i - 1]?.redis;
    const now = s.redis;
    if (!now || !prev) return null;
    const hits = now.keyspaceHits - prev.keyspaceHits;
    const misses = now.keyspaceMisses - prev.keyspaceMisses;
    return hits + misses > 0 ? round((hits / (hits + misses)) * 100) : null;
  });
  const charts: Chart[] = [
    { id: "latency", title: "p95 latency per op", unit: "ms", x, series: perOp((s) => s.p95Ms) },
    { id: "pool-wait", title: "Pool wait p95 per op", unit: "ms", x, series: perOp((s) => s.poolWaitP95Ms) },
    {
      id: "throughput",
      title: "Throughput and errors",
      unit: "per s",
      x,
      series: [
        { label: "completed", values: sum((s) => s.count) },
        { label: "errors", values: sum((s) => s.errors) },
      ],
    },
    {
      id: "pgbouncer",
      title: "PgBouncer clients",
      unit: "clients",
      x: tx,
      series: [
        { label: "cl_waiting", values: samples.map((s) => s.pgbouncer?.clWaiting ?? null) },
        { label: "cl_active", values: samples.map((s) => s.pgbouncer?.clActive ?? null) },
      ],
    },
    {
      id: "server-wait",
      title: "Server pool wait (PgBouncer: client wait accrued per second)",
      unit: "ms",
      x: tx,
      series: [{ label: "wait", values: samples.map((s) => s.pgbouncer?.waitMs ?? null) }],
    },
    {
      id: "cache",
      title: "Cache hit ratio",
      unit: "%",
      x: tx,
      series: [{ label: "hit ratio", values: hitRatio }],
    },
    {
      id: "host-cpu",
      title: "Host CPU (the machine running rehearse)",
      unit: "%",
      x: tx,
      series: [
        { label: "busy", values: samples.map((s) => s.host?.busyPct ?? null) },
        { label: "steal", values: samples.map((s) => s.host?.stealPct ?? null) },
        { label: "I/O wait", values: samples.map((s) => s.host?.iowaitPct ?? null) },
      ],
    },
  ];
  const bands: Band[] = [
    ...report.phases.map((p) => ({
      kind: "phase" as const,
      label: p.name,
      startS: round(p.startMs / 1000),
      endS: round(p.endMs / 1000),
    })),
    ...report.actions.map((a) => ({
      kind: "action" as const,
      label: a.name,
      startS: round(a.startMs / 1000),
      endS: round(a.endMs / 1000),
    })),
    ...(report.outages ?? []).map((o) => ({
      kind: "outage" as const,
      label: `${o.service} down`,
      startS: round(o.fromMs / 1000),
      endS: round((o.toMs ?? report.phases.at(-1)?.endMs ?? o.fromMs) / 1000),
    })),
  ];
  return { charts, bands };
}
