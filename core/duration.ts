/**
 * k6 durations: Go's time.ParseDuration grammar ("1h30m", "1.5s", "300ms",
 * "250us"), or a plain number of milliseconds as k6 accepts in JSON options.
 */
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001, µs: 0.001, ns: 1e-6 };
const PART = /(\d+(?:\.\d+)?|\.\d+)(h|ms|m|s|us|µs|ns)/y;

/** Milliseconds, or an error message naming what is wrong. */
export function parseDuration(value: unknown): number | string {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? value : `'${value}' is not a duration`;
  }
  if (typeof value !== "string" || value.trim() === "")
    return `'${String(value)}' is not a duration (e.g. "30s", "1m30s")`;
  const text = value.trim();
  if (text === "0") return 0;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== start) return `'${value}' is not a duration (e.g. "30s", "1m30s", "500ms")`;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] ?? Number.NaN);
  }
  return total;
}

/** "1m30s" style, for describe() lines. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1_000) return `${Number(ms.toFixed(3))}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Number(((ms % 60_000) / 1_000).toFixed(3));
  return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${s}s`;
}
