/**
 * A registry of native stacks' temp dirs, kept on disk so that `rehearse clean`
 * finds leftovers after a SIGKILL, wherever the temp dir was made. One JSON
 * file per stack, written synchronously and atomically before anything starts.
 * Processes are found from the temp dir (their cwd), containers by label.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ProviderName } from "./types.ts";

export interface RegistryEntry {
  id: string;
  provider: ProviderName;
  ownerPid: number;
  createdAt: string;
  /** Every server process of the stack runs with its cwd inside it ("" for an app under test). */
  tempDir: string;
  /** Process groups to kill (the app under test's instances, which run in the team's own folder). */
  processGroups?: number[];
}

export class Registry {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  write(entry: RegistryEntry): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.file(entry.id)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry, null, 2));
    renameSync(tmp, this.file(entry.id));
  }

  read(id: string): RegistryEntry | undefined {
    try {
      return JSON.parse(readFileSync(this.file(id), "utf8")) as RegistryEntry;
    } catch {
      return undefined;
    }
  }

  list(): RegistryEntry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((name) => name.endsWith(".json"))
      .map((name) => this.read(name.slice(0, -".json".length)))
      .filter((entry): entry is RegistryEntry => entry !== undefined);
  }

  remove(id: string): void {
    rmSync(this.file(id), { force: true });
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
