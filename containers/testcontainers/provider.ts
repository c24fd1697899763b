/**
 * Testcontainers provider: three containers from configurable images.
 * Host networking (Linux, CI): servers listen on free loopback ports, no
 * docker-proxy hop. Bridge networking (Docker Desktop): a labelled network,
 * service aliases, and fixed host-port bindings so restarts keep the ports.
 */

import { type ContainerRuntimeClient, StartedNetwork } from "testcontainers";
import { LOOPBACK } from "../ports.ts";
import {
  type Endpoint,
  initdbArgs,
  PG_HBA_ANY_HOST,
  postgresArgs,
  redisArgs,
  renderPgBouncerIni,
  renderPgBouncerUserlist,
  shellCommand,
  shellQuote,
} from "../server-config.ts";
import { serviceEnv } from "../service-env.ts";
import type { Credentials, StackSettings } from "../settings.ts";
import { stackSkeleton } from "../stack-skeleton.ts";
import type { LaunchPlan } from "../started-stack.ts";
import type { ServiceName } from "../types.ts";
import { ContainerService, type ContainerSpec } from "./container-service.ts";
import { removeNetwork, stackLabels } from "./docker.ts";

const STANDARD_PORTS: Record<ServiceName, number> = { postgres: 5432, pgbouncer: 6432, redis: 6379 };
const CONFIG_DIR = "/tmp/rehearse";
const PGBOUNCER_INI = `${CONFIG_DIR}/pgbouncer.ini`;
const PG_DATA = "/tmp/rehearse-pg";

/** Leftovers are found by label (see docker.ts), so no registry is needed here. */
export interface ContainerDeps {
  client: ContainerRuntimeClient;
}

interface Layout {
  /** Where each server listens, as seen from inside its container. */
  listen: Record<ServiceName, Endpoint>;
  /** Where PgBouncer reaches Postgres. */
  postgresFromBouncer: Endpoint;
  hostPorts: Record<ServiceName, number>;
}

function layoutFor(settings: StackSettings, at: Record<ServiceName, Endpoint>): Layout {
  const hostPorts = { postgres: at.postgres.port, pgbouncer: at.pgbouncer.port, redis: at.redis.port };
  // Host networking: each server listens where clients reach it.
  if (settings.containers.network === "host") return { listen: at, postgresFromBouncer: at.postgres, hostPorts };
  const any = (name: ServiceName) => ({ host: "0.0.0.0", port: STANDARD_PORTS[name] });
  return {
    listen: { postgres: any("postgres"), pgbouncer: any("pgbouncer"), redis: any("redis") },
    postgresFromBouncer: { host: "postgres", port: STANDARD_PORTS.postgres },
    hostPorts,
  };
}

export async function testcontainersPlan(settings: StackSettings, deps: ContainerDeps): Promise<LaunchPlan> {
  const { id, credentials, at, urls, secrets } = await stackSkeleton();
  const layout = layoutFor(settings, at);
  const network = settings.containers.network === "bridge" ? await createNetwork(deps.client, id) : undefined;

  const launch = (name: ServiceName, script: string, files: ContainerSpec["files"]) => async () => {
    const service = await ContainerService.start(
      {
        name,
        stackId: id,
        image: settings.containers.images[name],
        user: settings.containers.users[name],
        script,
        files,
        hostPort: layout.hostPorts[name],
        bridge: network ? { containerPort: STANDARD_PORTS[name], network } : undefined,
        // Inside the container the server is on loopback, whatever the networking.
        execEnv: {
          ...serviceEnv(name, { host: LOOPBACK, port: layout.listen[name].port }, credentials),
          ...(name === "pgbouncer" ? { PGBOUNCER_INI: PGBOUNCER_INI } : {}),
        },
        startupTimeoutMs: settings.startTimeoutMs,
        stopSignal: name === "postgres" ? "SIGINT" : "SIGTERM",
      },
      deps.client,
    );
    return service;
  };

  return {
    id,
    provider: "testcontainers",
    urls,
    secrets,
    createDatabase: true,
    launch: {
      postgres: launch("postgres", postgresScript(settings, credentials, layout), [
        { content: `${credentials.password}\n`, target: `${CONFIG_DIR}/pwfile` },
      ]),
      pgbouncer: launch("pgbouncer", `exec pgbouncer ${PGBOUNCER_INI}`, [
        // Writable by the server's user: the reload action edits it, as an operator would.
        { content: pgbouncerIni(settings, credentials, layout), target: PGBOUNCER_INI, mode: 0o666 },
        { content: renderPgBouncerUserlist(credentials), target: `${CONFIG_DIR}/userlist.txt` },
      ]),
      redis: launch(
        "redis",
        `exec ${shellCommand(["redis-server", ...redisArgs({ settings: settings.redis, listen: layout.listen.redis, dir: "/tmp" })])}`,
        [],
      ),
    },
    async release() {
      if (network) await removeNetwork(deps.client, network.getId());
    },
  };
}

/** initdb only on first start: a restarted container keeps its data, like a restarted server. */
function postgresScript(settings: StackSettings, c: Credentials, layout: Layout): string {
  const initdb = shellCommand([
    "initdb",
    ...initdbArgs({ dataDir: PG_DATA, user: c.user, passwordFile: `${CONFIG_DIR}/pwfile` }),
  ]);
  const postgres = shellCommand([
    "postgres",
    ...postgresArgs({
      settings: settings.postgres,
      dataDir: PG_DATA,
      listen: layout.listen.postgres,
      socketDir: "/tmp",
    }),
  ]);
  return [
    "set -e",
    `if [ ! -s ${PG_DATA}/PG_VERSION ]; then`,
    `  ${initdb}`,
    `  printf '%s' ${shellQuote(PG_HBA_ANY_HOST)} >> ${PG_DATA}/pg_hba.conf`,
    "fi",
    `exec ${postgres}`,
  ].join("\n");
}

function pgbouncerIni(settings: StackSettings, c: Credentials, layout: Layout): string {
  return renderPgBouncerIni({
    settings: settings.pgbouncer,
    listen: layout.listen.pgbouncer,
    server: layout.postgresFromBouncer,
    authFile: `${CONFIG_DIR}/userlist.txt`,
    adminUser: c.user,
  });
}

async function createNetwork(client: ContainerRuntimeClient, stackId: string): Promise<StartedNetwork> {
  const name = `rehearse-${stackId}`;
  const network = await client.network.create({ Name: name, Labels: stackLabels(stackId) });
  return new StartedNetwork(client, name, network);
}
