/** An action's result read by its kind's own type (reports/action-schema.ts), as tests read them. */
import type { ActionName, ActionRecord, RunReport } from "../../reports/schema.ts";

type ResultOf<N extends ActionName> = Extract<ActionRecord, { name: N }>["result"];

/** Every result of the actions of one kind, in timeline order. */
export function resultsOf<N extends ActionName>(report: RunReport, name: N): ResultOf<N>[] {
  return report.actions.filter((a): a is Extract<ActionRecord, { name: N }> => a.name === name).map((a) => a.result);
}

/** The first action of one kind's result. */
export function resultOf<N extends ActionName>(report: RunReport, name: N): ResultOf<N> | undefined {
  return resultsOf(report, name)[0];
}
