/** What the CLI touches outside itself, passed in so it runs in-process under test. */
import type { Writable } from "node:stream";

export interface World {
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** Calls `handler` on SIGINT/SIGTERM until the returned function is called. */
  onSignal(handler: (signal: NodeJS.Signals) => void): () => void;
}

export function processWorld(): World {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onSignal(handler) {
      const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];
      for (const signal of signals) process.on(signal, handler);
      return () => {
        for (const signal of signals) process.off(signal, handler);
      };
    },
  };
}

export function writeLine(stream: Writable, line: string): void {
  stream.write(`${line}\n`);
}
