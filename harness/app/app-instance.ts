/**
 * One instance of the app under test: `sh -c command` in a process group of
 * its own, stdout and stderr to its log file, ready when its ready path
 * answers 2xx, stopped with the stop signal then SIGKILL, every wait bounded.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { request } from "undici";
import { settlesWithin } from "../../core/wait.ts";

const POLL_MS = 100;
const STOP_GRACE_MS = 5_000;
const KILL_GRACE_MS = 3_000;

export interface InstanceRecord {
  port: number;
  /** performance.now() stamps; the report converts them to its clock. */
  startedAt: number;
  readyAt: number | null;
  exitedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  log: string;
  /** rehearse stopped it (a deploy, the end of the run), as opposed to it exiting on its own. */
  stoppedByUs: boolean;
}

export class AppInstance {
  readonly record: InstanceRecord;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  private constructor(child: ChildProcess, record: InstanceRecord) {
    this.child = child;
    this.record = record;
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        record.exitedAt = performance.now();
        record.exitCode = code;
        record.signal = signal;
        resolve();
      });
    });
  }

  static spawn(options: { command: string; cwd: string; env: Record<string, string>; port: number; log: string }) {
    const fd = openSync(options.log, "a");
    try {
      const child = spawn("sh", ["-c", options.command], {
        cwd: options.cwd,
        env: options.env,
        detached: true, // its own process group: a stop reaches everything it started
        stdio: ["ignore", fd, fd],
      });
      child.on("error", () => {}); // a spawn failure shows as an exit before ready
      return new AppInstance(child, {
        port: options.port,
        startedAt: performance.now(),
        readyAt: null,
        exitedAt: null,
        exitCode: null,
        signal: null,
        log: options.log,
        stoppedByUs: false,
      });
    } finally {
      closeSync(fd);
    }
  }

  get pgid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.record.exitedAt === null;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.record.port}`;
  }

  /** Polls the ready path until 2xx; throws (with the log's last lines) on exit, timeout or abort. */
  async waitReady(path: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let last = "no answer yet";
    for (let attempt = 0; attempt < Math.ceil(timeoutMs / POLL_MS) + 1; attempt++) {
      if (signal.aborted) throw new Error("stopped while the app was starting");
      if (!this.running)
        throw new Error(
          `exited (code ${this.record.exitCode}, signal ${this.record.signal}) before it was ready\n${this.logTail(20)}`,
        );
      try {
        const res = await request(`${this.origin}${path}`, { headersTimeout: 2_000, bodyTimeout: 2_000 });
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) {
          this.record.readyAt = performance.now();
          return;
        }
        last = `GET ${path} answered ${res.statusCode}`;
      } catch (error) {
        last = (error as Error).message;
      }
      if (performance.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error(`not ready within ${timeoutMs} ms (${last})\n${this.logTail(20)}`);
  }

  /** The stop signal to its group, SIGKILL after the grace period; resolves once it has exited (bounded). */
  async stop(stopSignal: NodeJS.Signals): Promise<void> {
    this.record.stoppedByUs ||= this.running;
    if (!this.running) return;
    this.signalGroup("SIGCONT"); // a frozen app cannot act on its stop signal
    this.signalGroup(stopSignal);
    if (await this.exitWithin(STOP_GRACE_MS)) {
      this.signalGroup("SIGKILL"); // children that outlived the shell
      return;
    }
    this.signalGroup("SIGKILL");
    await this.exitWithin(KILL_GRACE_MS);
  }

  /** SIGKILL: a crash, not a shutdown; rehearse's own (the kill action), so not reported as the app's crash. */
  async kill(): Promise<void> {
    this.record.stoppedByUs ||= this.running;
    this.signalGroup("SIGKILL");
    await this.exitWithin(KILL_GRACE_MS);
  }

  pause(): void {
    this.signalGroup("SIGSTOP");
  }

  resume(): void {
    this.signalGroup("SIGCONT");
  }

  logTail(lines: number): string {
    try {
      return readFileSync(this.record.log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.pgid === undefined) return;
    try {
      process.kill(-this.pgid, signal);
    } catch {
      // The group is gone.
    }
  }

  private exitWithin(ms: number): Promise<boolean> {
    return settlesWithin(this.exited, ms);
  }
}
