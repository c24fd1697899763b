import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../core/duration.ts";

describe("parseDuration", () => {
  it.each([
    ["30s", 30_000],
    ["1m30s", 90_000],
    ["1.5h", 5_400_000],
    ["500ms", 500],
    ["250us", 0.25],
    ["2h3m4s", 7_384_000],
    ["0", 0],
    [1500, 1500],
  ])("%s → %d ms", (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each(["", "10", "5 minutes", "1m30", "-5s", "s", "1x"])("rejects %j", (input) => {
    expect(typeof parseDuration(input)).toBe("string");
  });
});

describe("formatDuration", () => {
  it.each([
    [90_000, "1m30s"],
    [3_600_000, "1h0m0s"],
    [500, "500ms"],
    [2_500, "2.5s"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
