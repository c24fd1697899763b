/**
 * Live progress while a run's load goes on. On a TTY one line redrawn each
 * second; without one (CI), a plain line every few seconds.
 */
import type { Writable } from "node:stream";
import type { ProgressState } from "../run/progress-state.ts";

const PLAIN_EVERY_MS = 5_000;

const secs = (ms: number | null) => (ms === null ? "?" : `${Math.max(0, Math.round(ms / 1000))}s`);
const ms = (v: number | null) => (v === null ? "-" : `${Number(v.toFixed(1))}ms`);

export function progressLine(p: ProgressState): string {
  const action = p.actions.length > 0 ? ` | action: ${p.actions.join(", ")}` : "";
  return `${p.scenario} ${secs(p.elapsedMs)} | phase ${p.phase} (${secs(p.phaseLeftMs)} left, run ${secs(p.runLeftMs)} left) | ${Math.round(p.ratePerS)}/s | p95 ${ms(p.p95Ms)} | pool wait ${ms(p.poolWaitP95Ms)} | errors ${p.errors}${action}`;
}

export class Progress {
  private lastPlainMs = Number.NEGATIVE_INFINITY;
  private drawn = false;

  private readonly stream: Writable & { isTTY?: boolean; columns?: number };
  private readonly tty: boolean;

  constructor(stream: Writable & { isTTY?: boolean; columns?: number }, tty = stream.isTTY === true) {
    this.stream = stream;
    this.tty = tty;
  }

  update(state: ProgressState): void {
    const line = progressLine(state);
    if (this.tty) {
      const width = this.stream.columns ?? 120;
      this.stream.write(`\r\x1b[2K${line.slice(0, width - 1)}`);
      this.drawn = true;
    } else if (state.elapsedMs - this.lastPlainMs >= PLAIN_EVERY_MS) {
      this.lastPlainMs = state.elapsedMs;
      this.stream.write(`  progress: ${line}\n`);
    }
  }

  /** Clears the redrawn line before the summary prints. */
  done(): void {
    if (this.drawn) this.stream.write("\r\x1b[2K");
    this.drawn = false;
  }
}
