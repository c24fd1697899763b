/** Escaping for the formats reports are written in; op names and phases come from users' files. */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** XML 1.0 text and attributes: markup characters escaped, characters XML forbids dropped. */
export function escapeXml(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing the control characters XML 1.0 forbids
  return escapeHtml(text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, ""));
}

/** A Markdown table cell: pipes, backticks, angle brackets and newlines neutralised. */
export function escapeMdCell(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/[`<>*_[\]]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, " ");
}

/** JSON safe inside a <script> element: no `</script>`, no HTML comment openers. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
}
