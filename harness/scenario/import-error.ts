/**
 * Where a scenario file broke, from what Node says when importing it: a
 * syntax error's stack starts `file:LINE`, the source and a `^` line under the
 * column; an error thrown while the module runs has a frame `file:///…:LINE:COL`.
 */
import { pathToFileURL } from "node:url";

export function describeImportError(error: unknown, path: string): string {
  const message = (error as Error)?.message?.split("\n")[0] ?? String(error);
  const at = locate(String((error as Error)?.stack ?? ""), path);
  return at ? `${at}: ${message}` : message;
}

function locate(stack: string, path: string): string | undefined {
  const lines = stack.split("\n");
  const head = /^(.*):(\d+)$/.exec(lines[0] ?? "");
  if (head && head[1] === path) {
    const caret = lines.slice(1).find((l) => /^\s*\^+\s*$/.test(l));
    return caret ? `line ${head[2]}, column ${caret.indexOf("^") + 1}` : `line ${head[2]}`;
  }
  const url = pathToFileURL(path).href;
  for (const line of lines) {
    const frame = line.indexOf(`${url}:`);
    if (frame < 0) continue;
    const [, row, column] = /^:(\d+):(\d+)/.exec(line.slice(frame + url.length)) ?? [];
    if (row) return `line ${row}, column ${column}`;
  }
  return undefined;
}
