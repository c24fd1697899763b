/** What the capacity tests share: their fixtures, reading capacity.json, and the short steps CI can afford. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CapacityReport } from "../../reports/capacity/schema.ts";

export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/scenarios/${name}.ts`, import.meta.url));

export const readCapacity = (out: string, name: string) =>
  JSON.parse(readFileSync(join(out, name, "capacity.json"), "utf8")) as CapacityReport;

/** Short steps keep CI short; the warm-up covers the client pool filling. */
export const STEPS = ["--start", "150", "--step-duration", "6s", "--warmup", "1.5s", "--no-progress"];
