/**
 * A native server process in its own process group, logging to a file.
 * Signals that must reach every process of the service (freeze, kill) also
 * go to each process working in its directory: Postgres backends leave the
 * group. Every wait is bounded: a graceful stop gets STOP_GRACE_MS, then
 * everything is killed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import type { ProcStat } from "../../core/procfs.ts";
import { settlesWithin } from "../../core/wait.ts";
import { execLocal } from "../exec-local.ts";
import type { ExecOptions, ExecResult, ServiceHandle, ServiceName } from "../types.ts";
import { processesWorkingIn, signalEach } from "./processes.ts";
import type { ServiceUser } from "./service-user.ts";

const STOP_GRACE_MS = 10_000;
const KILL_GRACE_MS = 3_000;

export interface ProcessSpec {
  name: ServiceName;
  port: number;
  command: string;
  args: string[];
  /** Inside the stack's temp dir: `rehearse clean` recognises leftovers by it. */
  cwd: string;
  logFile: string;
  user?: ServiceUser;
  /** Postgres: SIGINT (fast shutdown); others: SIGTERM. */
  stopSignal: NodeJS.Signals;
  /** PATH and PG* / REDIS* variables for `exec`. */
  execEnv: Record<string, string>;
}

export class ProcessService implements ServiceHandle {
  readonly name: ServiceName;
  readonly port: number;
  private readonly spec: ProcessSpec;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(spec: ProcessSpec) {
    this.spec = spec;
    this.name = spec.name;
    this.port = spec.port;
  }

  async hostPids(processes?: ProcStat[]): Promise<number[]> {
    // Postgres backends leave the server's group: its directory finds them all.
    return processesWorkingIn(this.spec.cwd, processes);
  }

  async start(): Promise<void> {
    if (this.running) return;
    const log = openSync(this.spec.logFile, "a");
    try {
      // detached: the server leads a new process group, so signals reach all its children.
      const child = spawn(this.spec.command, this.spec.args, {
        cwd: this.spec.cwd,
        detached: true,
        stdio: ["ignore", log, log],
        uid: this.spec.user?.uid,
        gid: this.spec.user?.gid,
        env: { PATH: this.spec.execEnv.PATH ?? "", LANG: "C.UTF-8" },
      });
      this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
      const spawned = await new Promise<boolean>((resolve, reject) => {
        child.once("spawn", () => resolve(true));
        child.once("error", reject);
      });
      if (spawned) this.child = child;
    } finally {
      closeSync(log);
    }
  }

  private get running(): boolean {
    const child = this.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  async isRunning(): Promise<boolean> {
    return this.running;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid !== undefined) signalEach([-pid], signal);
  }

  /** The group first (a frozen postmaster forks no more backends), then every other process. */
  private signalAll(signal: NodeJS.Signals): void {
    this.signalGroup(signal);
    signalEach(processesWorkingIn(this.spec.cwd), signal);
  }

  async pause(): Promise<void> {
    this.signalAll("SIGSTOP");
  }

  async unpause(): Promise<void> {
    this.signalAll("SIGCONT");
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    if (this.running) {
      // A frozen process cannot act on a stop signal.
      this.signalAll("SIGCONT");
      this.signalGroup(this.spec.stopSignal);
      if (!(await this.exitWithin(STOP_GRACE_MS))) {
        this.signalAll("SIGKILL");
        await this.exitWithin(KILL_GRACE_MS);
      }
    }
    // Children that outlived the leader (e.g. backends) go too.
    this.signalAll("SIGKILL");
  }

  async kill(): Promise<void> {
    if (!this.child || !this.running) return;
    this.signalAll("SIGKILL");
    await this.exitWithin(KILL_GRACE_MS);
  }

  private exitWithin(ms: number): Promise<boolean> {
    return settlesWithin(this.exited, ms);
  }

  exec(argv: string[], options?: ExecOptions): Promise<ExecResult> {
    return execLocal(argv, this.spec.execEnv, options);
  }

  async logTail(lines: number): Promise<string> {
    try {
      return readFileSync(this.spec.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  async remove(): Promise<void> {
    await this.stop();
  }
}
