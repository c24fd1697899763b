/**
 * Can the ops reach what they call? An op that sends HTTP needs an app to send it to: the scenario's app block
 * (rehearse starts it) or the target file's app.baseUrl. Without either it would run its whole length with
 * every request refused; that is bad input, found before anything starts.
 */
import type { Target } from "../../containers/index.ts";
import type { LoadedScenario } from "./load.ts";

/** Whether an op's code uses its `http` client: `({ http }) => …`, `http.get(…)`, `ctx.http…`. */
export function usesHttp(op: unknown): boolean {
  if (typeof op !== "function") return false;
  const source = Function.prototype.toString.call(op);
  return (
    /^\s*(?:async\s*)?(?:function\s*\w*\s*)?\(\s*\{[^}]*\bhttp\b/.test(source) ||
    /(?:^|[^\w$])(?:\w+\.)?http\s*\??\.\s*(?:get|post|put|patch|del)\b/.test(source) ||
    /\.\s*http\b/.test(source)
  );
}

export function reachProblems(scenario: LoadedScenario, target: Target | undefined): string[] {
  if (scenario.app || target?.app?.baseUrl) return [];
  const run = new Set(scenario.executors.map((e) => e.exec));
  return Object.entries(scenario.ops)
    .filter(([name, op]) => run.has(name) && usesHttp(op))
    .map(
      ([name]) =>
        `workload.ops.${name}: uses http, but there is no app to send it to: add an app block (rehearse starts your app)${target ? ', or give the target file "app": { "baseUrl": "http://…" }' : ", or run it with --target <file> whose target has app.baseUrl"}`,
    );
}
