/**
 * Listening to an AbortSignal that may already have fired: `addEventListener`
 * alone never calls back for a signal aborted before it (a SIGINT during
 * seeding was acknowledged, then the whole load ran). Returns the unsubscribe.
 */
export function onAbort(signal: AbortSignal | undefined, handler: () => void): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    handler();
    return () => {};
  }
  signal.addEventListener("abort", handler, { once: true });
  return () => signal.removeEventListener("abort", handler);
}
