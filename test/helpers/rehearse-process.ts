/** Runs the real `rehearse` CLI as a child process, as a user would. */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { listManagedContainers, tryDockerClient } from "../../containers/testcontainers/docker.ts";
import type { RunReport } from "../../reports/schema.ts";
import { registeredTempDirs } from "./stack.ts";

const BIN = fileURLToPath(new URL("../../bin/rehearse.js", import.meta.url));

export interface RehearseProcess {
  child: ChildProcess;
  /** Resolves with the first stdout line, or rejects when the process exits or `timeoutMs` passes first. */
  firstLine(timeoutMs: number): Promise<string>;
  /**
   * Resolves with the first stdout line matching `pattern` — an event the run announces (a stage such
   * as "seeding", the first completed iteration, an action starting) — or rejects when the process
   * exits or `timeoutMs` passes first. Tests wait for what they need, never for the clock.
   */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

export function startRehearse(args: string[], env: Record<string, string>): RehearseProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk) => {
    out += String(chunk);
  });
  child.stderr?.on("data", (chunk) => {
    err += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const waitFor = (pattern: RegExp | undefined, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const what = pattern ? `a line matching ${pattern}` : "a line";
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms; stdout: ${out}`)), timeoutMs);
      const check = () => {
        const lines = out.split("\n").slice(0, -1); // complete lines only
        const line = lines.find((l) => pattern === undefined || pattern.test(l));
        if (line === undefined) return false;
        clearTimeout(timer);
        child.stdout?.off("data", check);
        resolve(line);
        return true;
      };
      if (check()) return;
      child.stdout?.on("data", check);
      exited.then((code) => {
        if (check()) return;
        clearTimeout(timer);
        reject(new Error(`rehearse exited with ${code} before printing ${what}; stderr: ${err}`));
      });
    });
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    firstLine: (timeoutMs) => waitFor(undefined, timeoutMs),
    waitFor,
  };
}

/** A progress line once at least one iteration has completed: the load has begun. */
export const LOAD_BEGAN = /^ {2}progress: .* [1-9]\d* done/;
/** The stage line that says seeding has begun. */
export const SEEDING = /^ {2}rehearse: \S+: seeding/;
/** A progress line while the named action runs (its work, or holding its fault for its duration). */
export const actionRunning = (name: string) =>
  new RegExp(`^ {2}progress: .*action: (.*, )?${name}( \\(held[^)]*\\))?(,|$)`);
/** A progress line once the named action did its work and holds its fault for its duration. */
export const actionHolding = (name: string) => new RegExp(`^ {2}progress: .*action: (.*, )?${name} \\(held until`);

/** Runs the CLI to completion; bounded by `timeoutMs`. */
export async function runRehearse(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startRehearse(args, env);
  const timer = setTimeout(() => run.child.kill("SIGKILL"), timeoutMs);
  const code = await run.exited;
  clearTimeout(timer);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

export const readReport = (out: string, name = "tiny") =>
  JSON.parse(readFileSync(join(out, name, "report.json"), "utf8")) as RunReport;

/** Waits (bounded: 30 s) until the child's stack exists: a registered temp dir or a container it owns. */
export async function waitForStack(pid: number, stateDir: string): Promise<string[]> {
  for (let i = 0; i < 600; i++) {
    const tempDirs = registeredTempDirs(stateDir);
    const client = await tryDockerClient(1_000);
    const containers = client ? (await listManagedContainers(client)).filter((c) => c.ownerPid === pid) : [];
    if (tempDirs.length > 0 || containers.length > 0) return tempDirs;
    await sleep(20);
  }
  throw new Error("the stack never appeared");
}

/**
 * Pids of live processes started by the rehearse run that used `stateDir`: every test gives its run
 * a state dir of its own, and whatever rehearse starts (app instances, deploy workers) inherits it in
 * its environment. So checks stay this test's own while other test files run beside it.
 */
export function processesOfRun(stateDir: string, matching: (cmdline: string) => boolean = () => true): number[] {
  const marker = `REHEARSE_STATE_DIR=${stateDir}\u0000`;
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.startsWith("Z")) continue; // a zombie is gone
      if (!readFileSync(`/proc/${entry}/environ`, "utf8").includes(marker)) continue;
      if (matching(readFileSync(`/proc/${entry}/cmdline`, "utf8"))) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

/** Pids of the deploy-burst worker processes of the run that used `stateDir`. */
export function deployWorkerProcesses(stateDir: string): number[] {
  return processesOfRun(stateDir, (cmdline) => /deploy-workers\/child\.[jt]s/.test(cmdline));
}
