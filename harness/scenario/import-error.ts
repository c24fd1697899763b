/**
 * Where a scenario file broke, from what the loader says: jiti's parse error
 * ends its message with ` <file>:LINE:COL`; Node's own syntax error's stack
 * starts `file:LINE`, the source and a `^` line under the column; an error
 * thrown while the module runs has a frame `file:///…:LINE:COL` or `file:LINE:COL`.
 */
import { pathToFileURL } from "node:url";

export function describeImportError(error: unknown, path: string): string {
  const full = (error as Error)?.message ?? String(error);
  const message = (full.split("\n")[0] ?? full).replace(/^ParseError: /, "").trim();
  const at = locateParse(full, path) ?? locate(String((error as Error)?.stack ?? ""), path);
  return at ? `${at}: ${message}` : message;
}

/** jiti: "ParseError: Unexpected token \n /path/file.ts:2:26". */
function locateParse(message: string, path: string): string | undefined {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const found = new RegExp(`${escaped}:(\\d+):(\\d+)`).exec(message);
  return found ? `line ${found[1]}, column ${Number(found[2]) + 1}` : undefined;
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
    for (const name of [url, path]) {
      const frame = line.indexOf(`${name}:`);
      if (frame < 0) continue;
      const [, row, column] = /^:(\d+):(\d+)/.exec(line.slice(frame + name.length)) ?? [];
      if (row) return `line ${row}, column ${column}`;
    }
  }
  return undefined;
}
