/** Report formats by name: each a pure function of report.json (and a comparison, when there is one). */
import type { Comparison } from "../compare.ts";
import type { RunReport } from "../schema.ts";
import { findings } from "./findings.ts";
import { renderHtml } from "./html.ts";
import { renderJunit } from "./junit.ts";
import { renderMarkdown } from "./markdown.ts";

export interface Renderer {
  /** File name under <out>/<scenario>/. */
  file: string;
  render(report: RunReport, comparison?: Comparison): string;
}

export const RENDERERS = {
  html: { file: "report.html", render: renderHtml },
  md: { file: "report.md", render: renderMarkdown },
  junit: { file: "junit.xml", render: renderJunit },
  findings: {
    file: "findings.txt",
    render: (report: RunReport) =>
      `${findings(report)
        .map((f, i) => `${i + 1}. ${f.text}`)
        .join("\n")}\n`,
  },
} satisfies Record<string, Renderer>;

export type FormatName = keyof typeof RENDERERS;
export const FORMAT_NAMES = Object.keys(RENDERERS) as FormatName[];
