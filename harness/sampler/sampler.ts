/**
 * The 1 s sampler: PgBouncer pools and stats, Postgres activity and buffer
 * hits, Redis INFO, the generator's own counters and the host's CPU (busy,
 * I/O wait, steal), each tick stamped on the same monotonic clock as the
 * iteration samples. A probe still busy from
 * the last tick is skipped (a frozen server must not pile up queries); a
 * probe that fails logs once and keeps going. Bounded: at most MAX_SAMPLES.
 */
import type { ServiceName, StackUrls } from "../../containers/types.ts";
import type { ProcStat } from "../../core/procfs.ts";
import { HostCpu, type HostCpuSample } from "./host-cpu.ts";
import { OutageTracker } from "./outages.ts";
import { PgBouncerProbe, type PgBouncerSample, PostgresProbe, type PostgresSample, RedisProbe } from "./probes.ts";
import { ProcessCpu, type ProcessCpuSample, type ProcessGroups } from "./process-cpu.ts";
import type { RedisInfo } from "./redis-info.ts";

const MAX_SAMPLES = 86_400; // a day of 1 s samples

export interface GeneratorSample {
  iterations: number;
  errors: number;
  dropped: number;
}

export interface TimelineSample {
  /** Monotonic ms since the sampler's origin (the run's start). */
  tMs: number;
  pgbouncer?: PgBouncerSample;
  postgres?: PostgresSample;
  redis?: RedisInfo;
  generator?: GeneratorSample;
  /** The CPU of the machine running rehearse over the last interval (Linux only). */
  host?: HostCpuSample;
  /** Whose CPU it was, in cores: rehearse, the app, each server, the rest of the machine (Linux only). */
  cpu?: ProcessCpuSample;
}

type ProbeName = "pgbouncer" | "postgres" | "redis";

export interface SamplerOptions {
  urls: Pick<StackUrls, "postgres" | "pgbouncerAdmin" | "redis">;
  /** Monotonic ms that tMs counts from. */
  originMs: number;
  intervalMs?: number;
  generator?: () => GeneratorSample;
  /** The processes of the rehearsal's parts, found in this tick's scan of the machine's, for their CPU (none:
   * the CPU per part is not sampled). */
  processes?: (scan: ProcStat[]) => Promise<ProcessGroups>;
  warn: (message: string) => void;
}

/** Which server each probe reads. */
const SERVICE_OF: Record<ProbeName, ServiceName> = { pgbouncer: "pgbouncer", postgres: "postgres", redis: "redis" };

export class Sampler {
  readonly samples: TimelineSample[] = [];
  /** Services that stopped answering during the run (and whether they came back). */
  readonly outages = new OutageTracker();
  private readonly options: SamplerOptions;
  private readonly probes: { [K in ProbeName]: { read(): Promise<NonNullable<TimelineSample[K]>>; close(): void } };
  private readonly busy = new Set<ProbeName>();
  private readonly warned = new Set<ProbeName>();
  private timer: NodeJS.Timeout | undefined;
  private hostCpu: HostCpu | undefined;
  private processCpu: ProcessCpu | undefined;
  /** The process CPU times the first tick counts from, being read. */
  private primed: Promise<void> = Promise.resolve();
  private scanning = false;
  private pending = new Set<Promise<void>>();
  private stopped: Promise<TimelineSample[]> | undefined;

  constructor(options: SamplerOptions) {
    this.options = options;
    this.probes = {
      pgbouncer: new PgBouncerProbe(options.urls.pgbouncerAdmin),
      postgres: new PostgresProbe(options.urls.postgres),
      redis: new RedisProbe(options.urls.redis),
    };
  }

  start(): void {
    const interval = this.options.intervalMs ?? 1_000;
    this.hostCpu = new HostCpu();
    if (this.options.processes) {
      this.processCpu = new ProcessCpu();
      this.primed = this.processCpu.start();
    }
    this.timer = setInterval(() => {
      if (this.samples.length >= MAX_SAMPLES) return;
      const tick = this.tick();
      this.pending.add(tick);
      tick.finally(() => this.pending.delete(tick));
    }, interval);
  }

  private async tick(): Promise<void> {
    const sample: TimelineSample = { tMs: Math.round(performance.now() - this.options.originMs) };
    if (this.options.generator) sample.generator = this.options.generator();
    const host = this.hostCpu?.read();
    if (host) sample.host = host;
    this.samples.push(sample);
    await Promise.all([
      ...(Object.keys(this.probes) as ProbeName[]).map((name) => this.read(name, sample)),
      this.readProcessCpu(sample, host),
    ]);
  }

  private async readProcessCpu(sample: TimelineSample, host: HostCpuSample | undefined): Promise<void> {
    const cpu = this.processCpu;
    const groups = this.options.processes;
    // A scan still running from the last tick (a machine with very many processes): this second goes without.
    if (!cpu?.available || !groups || this.scanning) return;
    this.scanning = true;
    try {
      await this.primed;
      const scan = await cpu.scan();
      const measured = cpu.sample(scan, await groups(scan), host);
      if (measured) sample.cpu = measured;
    } catch {
      // The CPU per part is informative: a failed read leaves this second without it.
    } finally {
      this.scanning = false;
    }
  }

  private async read(name: ProbeName, sample: TimelineSample): Promise<void> {
    if (this.busy.has(name)) {
      this.outages.missed(SERVICE_OF[name], sample.tMs, "no answer within a second");
      return;
    }
    this.busy.add(name);
    try {
      // Each probe type fills its own field.
      const read = await this.probes[name].read();
      if (name === "pgbouncer") this.addServerPoolWait(read as PgBouncerSample);
      (sample as Record<ProbeName, unknown>)[name] = read;
      this.outages.answered(SERVICE_OF[name], sample.tMs);
    } catch (error) {
      this.outages.missed(SERVICE_OF[name], sample.tMs, (error as Error).message.split("\n")[0] ?? "failed");
      if (!this.warned.has(name)) {
        this.warned.add(name);
        this.options.warn(`sampler: ${name} probe failed (${(error as Error).message}); will keep trying, silently`);
      }
    } finally {
      this.busy.delete(name);
    }
  }

  private lastPgBouncer: PgBouncerSample | undefined;

  /** PgBouncer keeps totals: the wait its clients accrued since the last sample is the difference. */
  private addServerPoolWait(now: PgBouncerSample): void {
    const before = this.lastPgBouncer;
    this.lastPgBouncer = now;
    if (!before || now.totalWaitTimeUs < before.totalWaitTimeUs) return; // first sample, or PgBouncer restarted
    const waitMs = (now.totalWaitTimeUs - before.totalWaitTimeUs) / 1000;
    const xacts = now.totalXactCount - before.totalXactCount;
    now.waitMs = Math.round(waitMs * 1000) / 1000;
    now.avgWaitMs = xacts > 0 ? Math.round((waitMs / xacts) * 1000) / 1000 : 0;
  }

  /** Stops ticking, waits (bounded) for reads in progress, closes connections. Idempotent. */
  stop(): Promise<TimelineSample[]> {
    this.stopped ??= (async () => {
      clearInterval(this.timer);
      await Promise.race([Promise.all(this.pending), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      for (const probe of Object.values(this.probes)) probe.close();
      return this.samples;
    })();
    return this.stopped;
  }
}
