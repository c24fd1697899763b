/**
 * One instance of the app under test: `sh -c command` in a process group of
 * its own, stdout and stderr to its log file, ready when its ready path
 * answers 2xx. Stopped as a platform stops a pod: the stop signal to the whole
 * group, then a wait for every process of the group (not only the shell that
 * leads it: `npm start` and `sh -c` exit at once while the app itself is
 * still shutting down) up to the grace period, and only then SIGKILL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { groupMembers, listeningSockets } from "../../core/procfs.ts";

const POLL_MS = 100;
const GROUP_POLL_MS = 50;
/** After SIGKILL, the group's processes are gone within this (the kernel's part, bounded anyway). */
const KILL_GRACE_MS = 3_000;

export interface InstanceRecord {
  port: number;
  /** performance.now() stamps; the report converts them to its clock. */
  startedAt: number;
  readyAt: number | null;
  /** When every process of its group was gone (for a crash: when its shell exited). */
  exitedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  log: string;
  /** rehearse stopped it (a deploy, the end of the run), as opposed to it exiting on its own. */
  stoppedByUs: boolean;
  /** How rehearse stopped it, when it did. */
  stop?: StopRecord;
}

export interface StopRecord {
  signal: string;
  signalAt: number;
  /** From the signal until the group was empty; null when it had to be killed. */
  exitedAfterMs: number | null;
  outcome: "graceful" | "killed";
}

/**
 * A simple command runs as the group's leader itself (`exec`), so its exit code is the app's (`node server.js`
 * exits 0 after a graceful shutdown); a command with shell syntax keeps its shell. `npm start` leads as npm,
 * which exits 143 once it has passed SIGTERM on: the app's own end is seen as every process of the group gone.
 */
function execOf(command: string): string {
  return /[;&|<>()`$\n]/.test(command) || /^\s*(exec|cd|export)\b/.test(command) ? command : `exec ${command}`;
}

export class AppInstance {
  readonly record: InstanceRecord;
  private readonly child: ChildProcess;
  private readonly leaderExited: Promise<void>;

  private constructor(child: ChildProcess, record: InstanceRecord) {
    this.child = child;
    this.record = record;
    this.leaderExited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        record.exitCode = code;
        record.signal = signal;
        // Exited on its own (a crash): its shell is what rehearse can see exit.
        if (!record.stoppedByUs) record.exitedAt ??= performance.now();
        resolve();
      });
    });
  }

  static spawn(options: { command: string; cwd: string; env: Record<string, string>; port: number; log: string }) {
    const fd = openSync(options.log, "a");
    try {
      const child = spawn("sh", ["-c", execOf(options.command)], {
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

  /** Not yet exited, and not being stopped by rehearse. */
  get running(): boolean {
    return this.record.exitedAt === null && this.child.exitCode === null && this.child.signalCode === null;
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
      await sleep(POLL_MS);
    }
    throw new Error(`not ready within ${timeoutMs} ms (${last})${await this.portHint()}\n${this.logTail(20)}`);
  }

  /** What the group listens on when it is not where it should be: the usual cause is an unmapped PORT. */
  private async portHint(): Promise<string> {
    if (this.pgid === undefined) return "";
    const sockets = listeningSockets(await groupMembers(this.pgid));
    if (sockets.length === 0) return "; it listens on no TCP port";
    if (sockets.some((s) => s.port === this.record.port)) return "";
    const where = sockets.map((s) => `${s.address}:${s.port}`).join(", ");
    return `; it listens on ${where}, not on PORT ${this.record.port}: map your app's port variable with env: { APP_PORT: "{port}" }`;
  }

  /**
   * The stop signal to the group, then a wait until every process of the group is gone, up to `timeoutMs`
   * (Kubernetes' terminationGracePeriodSeconds); SIGKILL only after that. Bounded throughout.
   */
  async stop(stopSignal: NodeJS.Signals, timeoutMs: number): Promise<StopRecord | undefined> {
    if (this.record.stoppedByUs || this.record.exitedAt !== null) return this.record.stop;
    this.record.stoppedByUs = true;
    const signalAt = performance.now();
    this.signalGroup("SIGCONT"); // a frozen app cannot act on its stop signal
    this.signalGroup(stopSignal);
    const gone = await this.groupGoneWithin(timeoutMs);
    let stop: StopRecord;
    if (gone) {
      stop = {
        signal: stopSignal,
        signalAt,
        exitedAfterMs: Math.round(performance.now() - signalAt),
        outcome: "graceful",
      };
    } else {
      this.signalGroup("SIGKILL");
      await this.groupGoneWithin(KILL_GRACE_MS);
      stop = { signal: stopSignal, signalAt, exitedAfterMs: null, outcome: "killed" };
    }
    await Promise.race([this.leaderExited, sleep(KILL_GRACE_MS)]);
    this.record.exitedAt = performance.now();
    this.record.stop = stop;
    return stop;
  }

  /** SIGKILL: a crash, not a shutdown; rehearse's own (the kill action), so not reported as the app's crash. */
  async kill(): Promise<void> {
    if (this.record.exitedAt !== null) return;
    this.record.stoppedByUs = true;
    this.signalGroup("SIGKILL");
    await this.groupGoneWithin(KILL_GRACE_MS);
    await Promise.race([this.leaderExited, sleep(KILL_GRACE_MS)]);
    this.record.exitedAt = performance.now();
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

  /** Polls the group's members until none is left (zombies count as gone), up to `ms`. */
  private async groupGoneWithin(ms: number): Promise<boolean> {
    const pgid = this.pgid;
    if (pgid === undefined) return true;
    const deadline = performance.now() + ms;
    for (let i = 0; i < Math.ceil(ms / GROUP_POLL_MS) + 1; i++) {
      if ((await groupMembers(pgid)).length === 0) return true;
      if (performance.now() >= deadline) return false;
      await sleep(GROUP_POLL_MS);
    }
    return (await groupMembers(pgid)).length === 0;
  }
}
