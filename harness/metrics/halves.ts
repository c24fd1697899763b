/**
 * An op's phase in two halves (by intended start), in report.json's `halves`: one run's values in its first
 * half against its second say how much they wander within the run, noise a comparison of single runs must
 * see beyond (the histogram's own interval assumes samples that do not cluster in time; a host's stalls do).
 */
import type { OpHalves } from "../../reports/schema.ts";
import { decodeHistogram, encodeHistogram, type Histogram, mergeHistograms } from "./histogram.ts";
import type { Series } from "./store.ts";

const HALVED = ["latency", "pool_wait"] as const;

const pair = (hs: Histogram[][]): [string, string] => [
  encodeHistogram(mergeHistograms(hs.map((h) => h[0] as Histogram))),
  encodeHistogram(mergeHistograms(hs.map((h) => h[1] as Histogram))),
];

/** The series' halves merged (the scenarios that ran the op in the phase); none when one did not keep them. */
export function halvesOfSeries(list: Series[]): { halves?: OpHalves } {
  const kept = list.flatMap((s) => (s.halves ? [s.halves] : []));
  if (kept.length === 0 || kept.length < list.length) return {};
  return { halves: { latency: pair(kept.map((h) => h.latency)), pool_wait: pair(kept.map((h) => h.pool_wait)) } };
}

/** Parts' halves added (`rehearse merge`); none when a part has none. */
export function mergeHalves(list: (OpHalves | undefined)[]): { halves?: OpHalves } {
  if (list.length === 0 || list.some((h) => h === undefined)) return {};
  const decoded = (list as OpHalves[]).map((h) =>
    Object.fromEntries(HALVED.map((t) => [t, [decodeHistogram(h[t][0]), decodeHistogram(h[t][1])]])),
  ) as Record<(typeof HALVED)[number], Histogram[]>[];
  return {
    halves: { latency: pair(decoded.map((d) => d.latency)), pool_wait: pair(decoded.map((d) => d.pool_wait)) },
  };
}
