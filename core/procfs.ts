/**
 * What Linux's /proc says about processes: their group, parent, state and CPU
 * time, and the TCP ports they listen on. Everything degrades to "unknown"
 * where there is no /proc (the callers then say less, never something wrong).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { readdir, readFile, readlink } from "node:fs/promises";

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every Linux build in use). */
export const CLOCK_TICKS_PER_S = 100;

export interface ProcStat {
  pid: number;
  /** The command name (comm), e.g. "postgres", "node". */
  name: string;
  ppid: number;
  pgrp: number;
  /** R, S, D, T, Z... (Z: a zombie, gone but for its exit status). */
  state: string;
  /** User + system CPU time, seconds. */
  cpuS: number;
  /** Its working directory, when asked for (`readProcesses({ cwd: true })`) and readable. */
  cwd?: string;
}

/** /proc/<pid>/stat parsed; the command name may hold spaces and parentheses, so fields count from its end. */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const fields = text.slice(close + 2).split(" ");
  // After "(comm)": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const [state = "?", ppid, pgrp] = fields;
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  const name = text.slice(open + 1, close);
  return { pid, name, ppid: Number(ppid), pgrp: Number(pgrp), state, cpuS: (utime + stime) / CLOCK_TICKS_PER_S };
}

let procfs: boolean | undefined;

/** A /proc/<pid>/cwd link's target: a directory removed since reads as "<path> (deleted)". */
export const cwdOfLink = (target: string) => target.replace(/ \(deleted\)$/, "");

export function hasProcfs(): boolean {
  if (procfs === undefined)
    try {
      readFileSync("/proc/self/stat", "utf8");
      procfs = true;
    } catch {
      procfs = false;
    }
  return procfs;
}

/** Every process /proc lists now (those that vanish while being read are skipped). */
export function allProcesses(): ProcStat[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = parseProcStat(Number(name), readFileSync(`/proc/${name}/stat`, "utf8"));
      if (stat) out.push(stat);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** How many /proc reads are in flight at once: enough to keep libuv's threads busy, few enough not to queue
 * the run's own file work behind a scan of hundreds of processes. */
const SCAN_CONCURRENCY = 16;

/**
 * Every process /proc lists now, read without blocking the event loop: the sampler and the app's stop polls
 * run beside the load, and a synchronous scan of 300 processes held the loop 10–30 ms, which every request in
 * flight then counted as latency.
 */
export async function readProcesses(options: { cwd?: boolean } = {}): Promise<ProcStat[]> {
  let names: string[];
  try {
    names = (await readdir("/proc")).filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  const readOne = async (name: string) => {
    try {
      const stat = parseProcStat(Number(name), await readFile(`/proc/${name}/stat`, "utf8"));
      if (!stat) return;
      if (options.cwd) {
        try {
          stat.cwd = cwdOfLink(await readlink(`/proc/${name}/cwd`));
        } catch {
          // not ours to inspect
        }
      }
      out.push(stat);
    } catch {
      // gone meanwhile
    }
  };
  for (let i = 0; i < names.length; i += SCAN_CONCURRENCY)
    await Promise.all(names.slice(i, i + SCAN_CONCURRENCY).map(readOne));
  return out;
}

/**
 * The live members of a process group (a zombie counts as gone: in some sandboxes an orphan's zombie is never
 * reaped). Without /proc: the group's leader answers `kill(-pgid, 0)` or not.
 */
export async function groupMembers(pgid: number): Promise<number[]> {
  if (!hasProcfs()) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  return (await readProcesses()).filter((p) => p.pgrp === pgid && p.state !== "Z").map((p) => p.pid);
}

/** The pids of a process and all its descendants (a container's processes, from its main pid). */
export function descendantsOf(rootPid: number, processes: ProcStat[] = allProcesses()): number[] {
  const children = new Map<number, number[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const out: number[] = [];
  const stack = [rootPid];
  while (stack.length > 0 && out.length < 100_000) {
    const pid = stack.pop() as number;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

export interface ListeningSocket {
  address: string;
  port: number;
}

/** "0100007F:0BB8" (little-endian IPv4) or a 32-hex-digit IPv6 address, as /proc/net/tcp writes them. */
function decodeAddress(hex: string): string {
  const [addr = "", port = "0"] = hex.split(":");
  if (addr.length === 8) {
    const bytes = (addr.match(/../g) ?? []).map((b) => Number.parseInt(b, 16)).reverse();
    return `${bytes.join(".")}:${Number.parseInt(port, 16)}`;
  }
  if (/^0+1000000$|^00000000000000000000000001000000$/.test(addr)) return `[::1]:${Number.parseInt(port, 16)}`;
  if (/^0+$/.test(addr)) return `[::]:${Number.parseInt(port, 16)}`;
  return `[${addr}]:${Number.parseInt(port, 16)}`;
}

/** TCP sockets in LISTEN held by these processes: "127.0.0.1:3000", "[::]:3000". */
export function listeningSockets(pids: number[]): ListeningSocket[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
        if (inode) inodes.add(inode);
      } catch {
        // closed meanwhile
      }
    }
  }
  const found = new Map<string, ListeningSocket>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let lines: string[] = [];
    try {
      lines = readFileSync(table, "utf8").split("\n").slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const cols = line.trim().split(/\s+/);
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      if (cols[3] !== "0A" || !inodes.has(cols[9] ?? "")) continue;
      const local = decodeAddress(cols[1] ?? "");
      const at = local.lastIndexOf(":");
      found.set(local, { address: local.slice(0, at), port: Number(local.slice(at + 1)) });
    }
  }
  return [...found.values()];
}

/** The process listening on a local TCP port (any address), or undefined: none, or not ours to see (another
 * user's sockets without the rights to read its fds, another network namespace). Reads every process' fds
 * (asynchronously: the load runs meanwhile), so it is a look-up to cache, not one for each second. */
export async function listenerOf(port: number): Promise<number | undefined> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1] ?? "";
      if (cols[3] === "0A" && Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port)
        inodes.add(cols[9] ?? "");
    }
  }
  if (inodes.size === 0) return undefined;
  const pids = (await readdir("/proc").catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode && inodes.has(inode)) return Number(pid);
    }
  }
  return undefined;
}

/** A process' arguments (/proc/<pid>/cmdline), or none when it is gone or unreadable. */
export async function argvOf(pid: number): Promise<string[]> {
  const text = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return text.split("\0").filter((a) => a !== "");
}
