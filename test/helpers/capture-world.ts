/** An in-process World for CLI tests: captured output, a fake signal source, a given env. */
import { Writable } from "node:stream";
import type { World } from "../../harness/cli/world.ts";

export interface CapturedWorld extends World {
  out(): string;
  err(): string;
  /** Delivers a signal to the handlers the CLI registered. */
  signal(name: NodeJS.Signals): void;
}

export function captureWorld(env: Record<string, string | undefined>): CapturedWorld {
  const sink = () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    return { stream, text: () => chunks.join("") };
  };
  const stdout = sink();
  const stderr = sink();
  const handlers = new Set<(signal: NodeJS.Signals) => void>();
  return {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env,
    onSignal(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    out: stdout.text,
    err: stderr.text,
    signal(name) {
      for (const handler of handlers) handler(name);
    },
  };
}
