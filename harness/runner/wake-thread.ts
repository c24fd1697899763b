/**
 * Sub-millisecond wake-ups without spinning. libuv's timers have 1 ms resolution (and fire up to ~1 ms
 * late), so the open loop used to spin on setImmediate for the last 1.5 ms before every arrival: at 1k/s
 * that was a whole core of a 2-core machine, taken from the servers under test. Here one small thread
 * sleeps in Atomics.wait until the earliest deadline (the kernel wakes it within ~0.1 ms) and posts a
 * message; the main thread waits in its event loop, free for I/O, until that message comes.
 *
 * The protocol is a shared counter and a deadline on the process-wide monotonic clock (process.hrtime:
 * performance.now() has a different origin in each thread): the main thread writes a deadline, bumps
 * the counter and notifies; the thread sleeps until the deadline or the next bump, and posts the counter
 * it fired for. A stale message only makes the main thread look at its waiters again. The second cell
 * stops the thread (at the process' exit).
 */
import { Worker } from "node:worker_threads";

/** Plain CommonJS, evaluated: the same code runs from the sources and from dist/. */
const THREAD = `
const { parentPort, workerData } = require("node:worker_threads");
const seq = new Int32Array(workerData, 0, 2);
const deadline = new Float64Array(workerData, 8, 1);
const hrMs = () => Number(process.hrtime.bigint()) / 1e6;
let fired;
for (;;) {
  const s = Atomics.load(seq, 0);
  if (Atomics.load(seq, 1) !== 0) break;
  const wait = deadline[0] - hrMs();
  if (wait > 0) {
    Atomics.wait(seq, 0, s, wait);
    continue;
  }
  if (fired !== s) {
    fired = s;
    parentPort.postMessage(s);
  }
  Atomics.wait(seq, 0, s);
}
`;

const hrNowMs = () => Number(process.hrtime.bigint()) / 1e6;

interface Waiter {
  atMs: number;
  wake: () => void;
}

export class WakeThread {
  private readonly worker: Worker;
  private readonly seq: Int32Array;
  private readonly deadline: Float64Array;
  /** Few at a time (one per open-loop executor): a list scanned whole is cheaper than a heap. */
  private waiters: Waiter[] = [];
  private armedAtMs = Number.POSITIVE_INFINITY;
  private broken = false;

  constructor() {
    const shared = new SharedArrayBuffer(16);
    this.seq = new Int32Array(shared, 0, 2);
    this.deadline = new Float64Array(shared, 8, 1);
    this.deadline[0] = Number.POSITIVE_INFINITY;
    this.worker = new Worker(THREAD, { eval: true, workerData: shared });
    this.worker.on("message", () => this.fire());
    // Should the thread ever fail, every waiter wakes now and later waits fall back to the caller's way.
    this.worker.on("error", () => this.fail());
    this.worker.on("exit", () => this.fail());
    this.worker.unref();
    process.once("exit", () => this.stop());
  }

  get usable(): boolean {
    return !this.broken;
  }

  /** Resolves at `atMs` (performance.now()), or as soon as `signal` aborts. */
  at(atMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = { atMs, wake: resolve };
      if (signal) {
        const onAbort = () => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve();
        };
        signal.addEventListener("abort", onAbort, { once: true });
        waiter.wake = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
      }
      this.waiters.push(waiter);
      // A pending wake-up keeps the process alive, as a timer would.
      if (this.waiters.length === 1) this.worker.ref();
      if (atMs < this.armedAtMs) this.arm(atMs);
    });
  }

  private arm(atMs: number): void {
    this.armedAtMs = atMs;
    this.deadline[0] = hrNowMs() + (atMs - performance.now());
    Atomics.add(this.seq, 0, 1);
    Atomics.notify(this.seq, 0);
  }

  private fire(): void {
    const now = performance.now();
    const due = this.waiters.filter((w) => w.atMs <= now);
    if (due.length > 0) this.waiters = this.waiters.filter((w) => w.atMs > now);
    let next = Number.POSITIVE_INFINITY;
    for (const w of this.waiters) next = Math.min(next, w.atMs);
    this.armedAtMs = Number.POSITIVE_INFINITY;
    if (this.waiters.length === 0) this.worker.unref();
    else this.arm(next);
    for (const w of due) w.wake();
  }

  private fail(): void {
    this.broken = true;
    const all = this.waiters;
    this.waiters = [];
    for (const w of all) w.wake();
  }

  private stop(): void {
    Atomics.store(this.seq, 1, 1);
    Atomics.add(this.seq, 0, 1);
    Atomics.notify(this.seq, 0);
  }
}

let shared: WakeThread | undefined;

/** The process' one wake thread, started on first use; undefined where no thread can be started. */
export function wakeThread(): WakeThread | undefined {
  if (shared?.usable) return shared;
  if (shared) return undefined;
  try {
    shared = new WakeThread();
    return shared;
  } catch {
    return undefined;
  }
}
