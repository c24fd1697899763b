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
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    firstLine(timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no output within ${timeoutMs} ms; stderr: ${err}`)),
          timeoutMs,
        );
        const check = () => {
          const newline = out.indexOf("\n");
          if (newline >= 0) {
            clearTimeout(timer);
            resolve(out.slice(0, newline));
          }
        };
        child.stdout?.on("data", check);
        exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`rehearse exited with ${code} before printing; stderr: ${err}`));
        });
        check();
      });
    },
  };
}

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

/** Pids of deploy-burst worker processes still alive (any run's), from /proc. */
export function deployWorkerProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes("deploy-workers/child.ts")) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
