/**
 * Live progress while a run goes on. On a TTY one line redrawn each second;
 * without one (CI), a plain line when something changes in kind — the first
 * completed iteration, a new phase, an action starting or ending — and every
 * few seconds otherwise, so a log (or a test) can tell when the load began or
 * a fault struck. Stages before the load (stack up, seeding, app ready) are a
 * line each.
 */
import type { Writable } from "node:stream";
import type { ProgressState } from "../run/progress-state.ts";

const PLAIN_EVERY_MS = 5_000;

const secs = (ms: number | null) => (ms === null ? "?" : `${Math.max(0, Math.round(ms / 1000))}s`);
const ms = (v: number | null) => (v === null ? "-" : `${Number(v.toFixed(1))}ms`);

export function progressLine(p: ProgressState): string {
  const action = p.actions.length > 0 ? ` | action: ${p.actions.join(", ")}` : "";
  return `${p.scenario} ${secs(p.elapsedMs)} | phase ${p.phase} (${secs(p.phaseLeftMs)} left, run ${secs(p.runLeftMs)} left) | ${Math.round(p.ratePerS)}/s, ${p.completed} done | p95 ${ms(p.p95Ms)} | pool wait ${ms(p.poolWaitP95Ms)} | errors ${p.errors}${action}`;
}

/** What a plain line was last printed for: a change in any of these prints the next one at once. */
interface Printed {
  atMs: number;
  phase: string;
  actions: string;
  anyDone: boolean;
}

export class Progress {
  private printed: Printed | undefined;
  private drawn = false;

  private readonly stream: Writable & { isTTY?: boolean; columns?: number };
  private readonly tty: boolean;

  constructor(stream: Writable & { isTTY?: boolean; columns?: number }, tty = stream.isTTY === true) {
    this.stream = stream;
    this.tty = tty;
  }

  /** A stage before or after the load ("stack up (native) in 1.2 s", "seeding"), on a line of its own. */
  stage(scenario: string, text: string): void {
    this.done();
    this.stream.write(`  rehearse: ${scenario}: ${text}\n`);
  }

  update(state: ProgressState): void {
    const line = progressLine(state);
    if (this.tty) {
      const width = this.stream.columns ?? 120;
      this.stream.write(`\r\x1b[2K${line.slice(0, width - 1)}`);
      this.drawn = true;
      return;
    }
    const now: Printed = {
      atMs: state.elapsedMs,
      phase: state.phase,
      actions: state.actions.join(","),
      anyDone: state.completed > 0,
    };
    const last = this.printed;
    const changed = !last || last.phase !== now.phase || last.actions !== now.actions || last.anyDone !== now.anyDone;
    if (changed || now.atMs - last.atMs >= PLAIN_EVERY_MS) {
      this.printed = now;
      this.stream.write(`  progress: ${line}\n`);
    }
  }

  /** Clears the redrawn line before the summary prints; the next plain line starts afresh. */
  done(): void {
    if (this.drawn) this.stream.write("\r\x1b[2K");
    this.drawn = false;
    this.printed = undefined;
  }
}
