/** Runs a command on this machine with a service's environment (native and external stacks). */
import { execa } from "execa";
import type { ExecOptions, ExecResult } from "./types.ts";

export async function execLocal(
  argv: string[],
  env: Record<string, string>,
  options: ExecOptions = {},
): Promise<ExecResult> {
  const [command, ...args] = argv;
  if (!command) throw new Error("exec needs a command");
  const result = await execa(command, args, {
    env: { ...env, ...options.env },
    extendEnv: false,
    timeout: options.timeoutMs ?? 60_000,
    reject: false,
    stdin: "ignore",
  });
  return {
    exitCode: result.exitCode ?? (result.timedOut ? 124 : 1),
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr || (result.failed ? result.message : "")),
  };
}
