/** PgBouncer admin actions: PAUSE/RESUME, RECONNECT, and RELOAD with new pool settings. */
import { z } from "zod";
import { POOL_MODES } from "../../../containers/settings.ts";
import type { StartedStack } from "../../../containers/types.ts";
import { actionKind } from "../types.ts";
import { noOptions, oneOf, wholeNumber } from "./options.ts";

/** PgBouncer's PAUSE (waits for running transactions, then holds new ones) and RESUME. */
export const pgbouncerPause = actionKind<"pgbouncer-pause", Record<string, never>>({
  needsDuration: true,
  options: noOptions,
  async run({ stack }) {
    await stack.pgbouncerAdmin("PAUSE");
    return {
      result: { command: "PAUSE" },
      revert: async () => {
        await stack.pgbouncerAdmin("RESUME");
        return undefined;
      },
    };
  },
});

/** RECONNECT: every server connection is closed once released and opened afresh (a failover's cost). */
export const pgbouncerReconnect = actionKind<"pgbouncer-reconnect", Record<string, never>>({
  needsDuration: false,
  options: noOptions,
  async run({ stack }) {
    const before = await serverConnections(stack);
    await stack.pgbouncerAdmin("RECONNECT");
    return { result: { command: "RECONNECT", serverConnectionsBefore: before } };
  },
});

async function serverConnections(stack: StartedStack): Promise<number> {
  const rows = await stack.pgbouncerAdmin("SHOW POOLS");
  return rows.reduce((n, r) => n + Number(r.sv_active ?? 0) + Number(r.sv_idle ?? 0) + Number(r.sv_used ?? 0), 0);
}

/** Scenario option → PgBouncer setting; the values rehearse writes into its ini. */
const RELOADABLE = {
  defaultPoolSize: "default_pool_size",
  minPoolSize: "min_pool_size",
  reservePoolSize: "reserve_pool_size",
  maxClientConn: "max_client_conn",
  maxDbConnections: "max_db_connections",
  poolMode: "pool_mode",
} as const;
type Reloadable = keyof typeof RELOADABLE;

/** The ini with each `key = value` line replaced (rehearse renders one setting per line). */
export function rewriteIni(ini: string, values: Record<string, string>): string {
  const lines = ini.split("\n").map((line) => {
    const key = /^\s*([a-z_]+)\s*=/.exec(line)?.[1];
    return key !== undefined && key in values ? `${key} = ${values[key]}` : line;
  });
  const present = new Set(lines.map((line) => /^\s*([a-z_]+)\s*=/.exec(line)?.[1]));
  const missing = Object.entries(values).filter(([key]) => !present.has(key));
  return [...lines, ...missing.map(([key, value]) => `${key} = ${value}`)].join("\n");
}

async function readIni(stack: StartedStack): Promise<string> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
  const read = await stack.exec("pgbouncer", ["sh", "-c", 'cat "${PGBOUNCER_INI:?no ini}"']);
  if (read.exitCode !== 0) throw new Error(`cannot read PgBouncer's ini: ${read.stderr.trim()}`);
  return read.stdout;
}

async function writeIniAndReload(stack: StartedStack, ini: string): Promise<void> {
  const write = await stack.exec("pgbouncer", ["sh", "-c", 'printf "%s" "$REHEARSE_INI" > "$PGBOUNCER_INI"'], {
    env: { REHEARSE_INI: ini },
  });
  if (write.exitCode !== 0) throw new Error(`cannot write PgBouncer's ini: ${write.stderr.trim()}`);
  await stack.pgbouncerAdmin("RELOAD");
}

async function settingsNow(stack: StartedStack, keys: string[]): Promise<Record<string, string>> {
  const rows = await stack.pgbouncerAdmin("SHOW CONFIG");
  return Object.fromEntries(rows.filter((r) => keys.includes(String(r.key))).map((r) => [r.key, String(r.value)]));
}

/**
 * Edits PgBouncer's ini (as an operator would) and sends RELOAD; the new values are read back
 * from SHOW CONFIG. With a duration the old ini comes back, with another RELOAD, at its end.
 * Needs a stack rehearse started: on an external target the ini is not ours to edit.
 */
export const pgbouncerReload = actionKind<"pgbouncer-reload", Record<string, string>>({
  needsDuration: false,
  options: () =>
    z
      .strictObject({
        defaultPoolSize: wholeNumber(1, 10_000).optional(),
        minPoolSize: wholeNumber(0, 10_000).optional(),
        reservePoolSize: wholeNumber(0, 10_000).optional(),
        maxClientConn: wholeNumber(1, 1_000_000).optional(),
        maxDbConnections: wholeNumber(0, 10_000).optional(),
        poolMode: oneOf(POOL_MODES).optional(),
      })
      .refine((o) => Object.keys(o).length > 0, {
        error: `name at least one of ${Object.keys(RELOADABLE).join(", ")}`,
      })
      // PgBouncer's own setting names → the values to write.
      .transform((o) =>
        Object.fromEntries(
          Object.entries(o)
            .filter(([, value]) => value !== undefined)
            .map(([name, value]) => [RELOADABLE[name as Reloadable], String(value)]),
        ),
      ),
  onExternal: () => ({
    unsupported: "it edits PgBouncer's ini, which is not rehearse's to edit on an external target",
  }),
  async run({ stack }, values, { durationMs }) {
    const keys = Object.keys(values);
    const before = await settingsNow(stack, keys);
    const original = await readIni(stack);
    await writeIniAndReload(stack, rewriteIni(original, values));
    const after = await settingsNow(stack, keys);
    const settings = Object.fromEntries(keys.map((k) => [k, { before: before[k] ?? null, after: after[k] ?? null }]));
    const result = { command: "RELOAD" as const, settings };
    if (durationMs === undefined) return { result }; // a lasting change, as a real reload is
    return {
      result,
      revert: async () => {
        await writeIniAndReload(stack, original);
        const restored = await settingsNow(stack, keys);
        return { restored: keys.every((k) => restored[k] === before[k]) };
      },
    };
  },
});
