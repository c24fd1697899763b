/** Secrets out of anything printed: passwords in URLs, and known secrets in free text. */

/** The URL with its password (if any) replaced by `***`. Unparseable input is hidden whole. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable url>";
  }
}

/** Passwords found in URLs, to scrub from free text such as server error messages. */
export function secretsOf(urls: Iterable<string>): string[] {
  const secrets = new Set<string>();
  for (const url of urls) {
    try {
      const password = new URL(url).password;
      if (password) {
        secrets.add(password);
        secrets.add(decodeURIComponent(password));
      }
    } catch {
      // Not a URL: nothing to extract.
    }
  }
  return [...secrets];
}

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.replaceAll(secret, "***");
  return out;
}
