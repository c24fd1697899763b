/** Reads a scenario's raw options field by field, collecting every problem (k6's Validate() style). */
import { parseDuration } from "../../core/duration.ts";

export class OptionsReader {
  readonly problems: string[] = [];
  private readonly raw: Record<string, unknown>;
  private readonly prefix: string;
  private readonly seen = new Set<string>();

  constructor(raw: Record<string, unknown>, prefix: string) {
    this.raw = raw;
    this.prefix = prefix;
  }

  report(field: string, message: string): void {
    this.problems.push(`${this.prefix}.${field}: ${message}`);
  }

  has(field: string): boolean {
    this.seen.add(field);
    return this.raw[field] !== undefined;
  }

  durationMs(field: string, fallback?: string): number {
    const value = this.has(field) ? this.raw[field] : fallback;
    if (value === undefined) {
      this.report(field, "is required");
      return 0;
    }
    const ms = parseDuration(value);
    if (typeof ms === "string") {
      this.report(field, ms);
      return 0;
    }
    return ms;
  }

  /** A whole number ≥ min. */
  integer(field: string, fallback?: number, min = 0): number {
    const value = this.has(field) ? this.raw[field] : fallback;
    if (value === undefined) {
      this.report(field, "is required");
      return min;
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      this.report(field, `must be a whole number ≥ ${min} (got ${JSON.stringify(value)})`);
      return min;
    }
    return value;
  }

  string(field: string, fallback: string): string {
    const value = this.has(field) ? this.raw[field] : fallback;
    if (typeof value !== "string" || value === "") {
      this.report(field, `must be a non-empty string (got ${JSON.stringify(value)})`);
      return fallback;
    }
    return value;
  }

  tags(field: string): Record<string, string> {
    if (!this.has(field)) return {};
    const value = this.raw[field];
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      this.report(field, "must be an object of string values");
      return {};
    }
    const out: Record<string, string> = {};
    for (const [key, tag] of Object.entries(value)) {
      if (typeof tag === "string") out[key] = tag;
      else this.report(`${field}.${key}`, "must be a string");
    }
    return out;
  }

  stages(field: string): { target: number; durationMs: number }[] {
    const value = this.has(field) ? this.raw[field] : undefined;
    if (!Array.isArray(value) || value.length === 0) {
      this.report(field, "must be a non-empty list of { duration, target }");
      return [];
    }
    return value.map((stage, i) => {
      const reader = new OptionsReader((stage ?? {}) as Record<string, unknown>, `${this.prefix}.${field}[${i}]`);
      const result = { durationMs: reader.durationMs("duration"), target: reader.integer("target") };
      reader.rejectUnknown();
      this.problems.push(...reader.problems);
      return result;
    });
  }

  /** k6 rejects options it does not know; so do we. Call after reading every field. */
  rejectUnknown(): void {
    for (const key of Object.keys(this.raw)) {
      if (!this.seen.has(key)) this.report(key, "unknown option");
    }
  }
}
