/** rehearse's side of the deploy burst's worker process: start it, wait until warm, stop it. Bounded throughout. */

import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { setPriority } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { onAbort } from "../../../core/abort.ts";
import type { ChildMessage, FleetConfig, WarmedFleet } from "./protocol.ts";

// The sources run as .ts (type stripping); the installed package runs its build, .js.
const FROM_SOURCES = import.meta.url.endsWith(".ts");
const CHILD = fileURLToPath(new URL(FROM_SOURCES ? "./child.ts" : "./child.js", import.meta.url));
/** The child loads the scenario file, whose `from "rehearse"` must reach the sources too (bin/rehearse.js). */
const CHILD_ARGV = FROM_SOURCES ? [...process.execArgv, "--conditions=rehearse-source"] : process.execArgv;
/** Process start and scenario load, on top of the warm-up's own limit. */
const START_ALLOWANCE_MS = 30_000;
const STOP_GRACE_MS = 10_000;
const WORKER_NICENESS = 10;

export interface Fleet {
  result: WarmedFleet;
  /** Closes every worker's connections and ends the process. */
  stop(): Promise<void>;
}

export async function startFleet(config: Omit<FleetConfig, "type">, signal: AbortSignal): Promise<Fleet> {
  const child = fork(CHILD, [], { stdio: ["ignore", "ignore", "pipe", "ipc"], execArgv: CHILD_ARGV });
  // Below the load generator: the workers' CPU is felt by the servers, not by the generator's clock.
  if (child.pid !== undefined) setPriority(child.pid, WORKER_NICENESS);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  const exited = once(child, "exit").catch(() => []);
  try {
    child.send({ type: "start", ...config });
    const reply = await firstMessage(child, config.warmLimitMs + START_ALLOWANCE_MS, signal, exited);
    if (reply.type === "failed") throw new Error(`deploy workers failed: ${reply.message}`);
    return { result: reply.result, stop: () => stopChild(child, exited) };
  } catch (error) {
    await stopChild(child, exited);
    if (error instanceof Error && error.message === "exited") {
      throw new Error(`deploy workers' process exited early: ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
    }
    throw error;
  }
}

function firstMessage(
  child: ChildProcess,
  limitMs: number,
  signal: AbortSignal,
  exited: Promise<unknown>,
): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deploy workers not warm after ${limitMs} ms`)), limitMs);
    const unsubscribe = onAbort(signal, () => {
      clearTimeout(timer);
      reject(new Error("aborted"));
    });
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
    };
    child.once("message", (message: ChildMessage) => {
      done();
      resolve(message);
    });
    void exited.then(() => {
      done();
      reject(new Error("exited"));
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.send({ type: "stop" });
  const gone = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS, false, { ref: false })]);
  if (!gone) {
    child.kill("SIGKILL");
    await exited;
  }
}
