/**
 * One server in a container. The launch recipe replaces the image's
 * entrypoint with `/bin/sh -c <script>` run as a named user, with the config
 * copied in, so official images and a locally built one start the same way.
 */

import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type ContainerRuntimeClient,
  GenericContainer,
  type StartedNetwork,
  type StartedTestContainer,
} from "testcontainers";
import { messageOf } from "../../core/errors.ts";
import { descendantsOf, type ProcStat } from "../../core/procfs.ts";
import type { ExecOptions, ExecResult, ServiceHandle, ServiceName } from "../types.ts";
import { demuxDockerLog, forceRemoveContainer, LABEL, stackLabels, statusOf } from "./docker.ts";

const STOP_GRACE_MS = 10_000;

export interface ContainerSpec {
  name: ServiceName;
  stackId: string;
  image: string;
  user: string;
  script: string;
  /** Files copied in before start; mode 0644 unless given (the PgBouncer ini is rewritten by reload). */
  files: { content: string; target: string; mode?: number }[];
  /** Port clients on the host use (host mode: the server listens on it; bridge: it is bound to it). */
  hostPort: number;
  /** Bridge mode: the server's port inside the network, and the network with this service's alias. */
  bridge?: { containerPort: number; network: StartedNetwork };
  execEnv: Record<string, string>;
  startupTimeoutMs: number;
  /** Postgres: SIGINT (fast shutdown); SIGTERM would wait for PgBouncer's connections to close. */
  stopSignal: NodeJS.Signals;
}

export class ContainerService implements ServiceHandle {
  readonly name: ServiceName;
  readonly port: number;
  private readonly started: StartedTestContainer;
  private readonly client: ContainerRuntimeClient;
  private readonly execEnv: Record<string, string>;
  private readonly stopSignal: NodeJS.Signals;
  private paused = false;

  private constructor(spec: ContainerSpec, started: StartedTestContainer, client: ContainerRuntimeClient) {
    this.name = spec.name;
    this.port = spec.hostPort;
    this.started = started;
    this.client = client;
    this.execEnv = spec.execEnv;
    this.stopSignal = spec.stopSignal;
  }

  static async start(spec: ContainerSpec, client: ContainerRuntimeClient): Promise<ContainerService> {
    let container = new GenericContainer(spec.image)
      .withName(`rehearse-${spec.stackId}-${spec.name}`)
      .withLabels({ ...stackLabels(spec.stackId), [LABEL.service]: spec.name })
      .withEntrypoint(["/bin/sh"])
      .withCommand(["-c", spec.script])
      .withUser(spec.user)
      .withCopyContentToContainer(
        spec.files.map((f) => ({ content: f.content, target: f.target, mode: f.mode ?? 0o644 })),
      )
      .withStartupTimeout(spec.startupTimeoutMs);
    if (spec.bridge) {
      container = container
        .withNetwork(spec.bridge.network)
        .withNetworkAliases(spec.name)
        .withExposedPorts({ container: spec.bridge.containerPort, host: spec.hostPort });
    } else {
      container = container.withNetworkMode("host");
    }
    try {
      return new ContainerService(spec, await container.start(), client);
    } catch (error) {
      throw new ImageUnavailableError(spec.name, spec.image, error);
    }
  }

  private get docker() {
    return this.client.container.dockerode.getContainer(this.started.getId());
  }

  async pause(): Promise<void> {
    await this.docker.pause();
    this.paused = true;
  }

  async unpause(): Promise<void> {
    await this.docker.unpause();
    this.paused = false;
  }

  /** The stop signal, up to STOP_GRACE_MS for the server to exit, then docker's kill. */
  async stop(): Promise<void> {
    if (!(await this.signalAndWait(this.stopSignal))) return;
    try {
      await this.docker.stop({ t: 0 });
    } catch (error) {
      if (statusOf(error) !== 304) throw error; // 304: already stopped
    }
  }

  /** SIGKILL: the container's main process dies at once, as in a crash. */
  async kill(): Promise<void> {
    await this.signalAndWait("SIGKILL");
  }

  /** Sends `signal` to a running container and waits up to STOP_GRACE_MS for it to exit; false if it was not running. */
  private async signalAndWait(signal: NodeJS.Signals): Promise<boolean> {
    if (this.paused) await this.unpause();
    if (!(await this.isRunning())) return false;
    try {
      await this.docker.kill({ signal });
    } catch (error) {
      if (statusOf(error) !== 409) throw error; // 409: not running any more
    }
    const deadline = performance.now() + STOP_GRACE_MS;
    while (performance.now() < deadline && (await this.isRunning())) await sleep(50);
    return true;
  }

  async start(): Promise<void> {
    try {
      await this.docker.start();
    } catch (error) {
      if (statusOf(error) !== 304) throw error; // 304: already running
    }
  }

  private mainPid: number | undefined;

  /** The container's processes in this machine's pid namespace: its main process and descendants (a local
   * engine on Linux; elsewhere, such as Docker Desktop's VM, none are visible and this is empty). */
  async hostPids(processes?: ProcStat[]): Promise<number[]> {
    if (this.mainPid === undefined || !existsSync(`/proc/${this.mainPid}`)) {
      const info = await this.docker.inspect();
      this.mainPid = info.State?.Pid || undefined;
    }
    if (this.mainPid === undefined || !existsSync(`/proc/${this.mainPid}`)) return [];
    return descendantsOf(this.mainPid, processes);
  }

  async isRunning(): Promise<boolean> {
    try {
      const info = await this.docker.inspect();
      return info.State.Running;
    } catch {
      return false;
    }
  }

  async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const run = this.started.exec(argv, { env: { ...this.execEnv, ...options.env } });
    const timeout = sleep(timeoutMs, undefined, { ref: false }).then(() => {
      throw new Error(`exec ${argv[0]} in ${this.name} timed out after ${timeoutMs} ms`);
    });
    const result = await Promise.race([run, timeout]);
    return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  }

  async logTail(lines: number): Promise<string> {
    const raw = (await this.docker.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as Buffer;
    return demuxDockerLog(raw).trimEnd();
  }

  async remove(): Promise<void> {
    await forceRemoveContainer(this.client, this.started.getId());
  }
}

/** No container could be made from the service's image (missing, unpullable, broken). */
export class ImageUnavailableError extends Error {
  readonly service: ServiceName;
  readonly image: string;

  constructor(service: ServiceName, image: string, cause: unknown) {
    super(`no container from image ${image} (pull it, or choose another image): ${messageOf(cause)}`, { cause });
    this.name = "ImageUnavailableError";
    this.service = service;
    this.image = image;
  }
}
