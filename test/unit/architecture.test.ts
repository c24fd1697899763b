/**
 * The walls between the wings (ARCHITECTURE.md), read from the import
 * statements of every source file: imports go one way, scenarios → harness
 * → reports and containers → core, and no file imports itself through others.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WINGS = ["core", "containers", "reports", "harness", "index.ts", "scenarios"] as const;
type Wing = (typeof WINGS)[number];

/** What each wing may import besides itself. `index.ts` is the public API ("rehearse"): shipped
 * scenarios import only it, as a user's do. */
const MAY_IMPORT: Record<Wing, Wing[]> = {
  core: [],
  containers: ["core"],
  reports: ["core"],
  harness: ["core", "containers", "reports"],
  "index.ts": ["core", "containers", "reports", "harness"],
  scenarios: ["index.ts"],
};

function sourceFiles(dir: string): string[] {
  if (!statSync(dir).isDirectory()) return [dir];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Relative imports (static, dynamic and re-exports) and the package's own name, as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map(
    (m) => m[1] as string,
  );
  // By name: only a statement at the start of a line (a template that writes one is text, not an import).
  const byName = /^(?:import|export)\b[^;]*?from\s*["']rehearse["']/m.test(text) ? ["index.ts"] : [];
  return [...specifiers.map((s) => relative(ROOT, resolve(dirname(file), s))), ...byName];
}

const graph = new Map<string, string[]>(
  WINGS.flatMap((wing) => sourceFiles(join(ROOT, wing))).map((file) => [relative(ROOT, file), importsOf(file)]),
);
const wingOf = (path: string) => path.split("/")[0] as Wing;

describe("architecture: the walls between the wings", () => {
  it("reads a real tree (every wing has files, and imports were found)", () => {
    for (const wing of WINGS) expect([...graph.keys()].some((f) => wingOf(f) === wing)).toBe(true);
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
  });

  for (const wing of WINGS) {
    it(`${wing}/ imports only ${MAY_IMPORT[wing].join(", ") || "itself"}`, () => {
      const crossings = [...graph]
        .filter(([file]) => wingOf(file) === wing)
        .flatMap(([file, imports]) => imports.map((target) => ({ file, target })))
        .filter(({ target }) => wingOf(target) !== wing && !MAY_IMPORT[wing].includes(wingOf(target)))
        .map(({ file, target }) => `${file} → ${target}`);
      expect(crossings).toEqual([]);
    });
  }

  it("has no import cycle among source files", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...path.slice(path.indexOf(file)), file].join(" → "));
        return;
      }
      state.set(file, "open");
      for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target, [...path, file]);
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
