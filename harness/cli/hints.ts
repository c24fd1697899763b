/** What to type next, for errors raised below the CLI (which do not know its flags). */
import { ImageUnavailableError, NoProviderError } from "../../containers/index.ts";

export function hintFor(error: unknown): string | undefined {
  if (error instanceof NoProviderError) {
    return "  - external: pass --target <file.json> with the URLs of an existing stack";
  }
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const image = error instanceof ImageUnavailableError ? error : cause instanceof ImageUnavailableError ? cause : null;
  if (image) {
    const service = image.service;
    return `hint: choose another image with --${service}-image or $REHEARSE_IMAGE_${service.toUpperCase()}, or run without Docker: --provider native`;
  }
  return undefined;
}
