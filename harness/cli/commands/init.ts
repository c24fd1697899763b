/**
 * `rehearse init`: writes a scenario for the team's app, a staging target
 * template, the nightly workflow and a short README into their repository.
 * Never overwrites a file (an existing one is kept and named); no prompt,
 * so it is safe in CI: the choices are flags.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { stringify } from "yaml";
import { BadInputError } from "../../../core/errors.ts";
import {
  DEFAULT_SEGMENTS,
  type DistributedPlan,
  githubWorkflow,
  k8sObjects,
  k8sReadme,
} from "../../init/distributed-templates.ts";
import { initReadme, nightlyWorkflow, stagingTarget } from "../../init/repo-templates.ts";
import { appScenario, opsScenario } from "../../init/scenario-templates.ts";
import type { Outcome } from "../exit-codes.ts";
import { parseCliArgs } from "../parse-args.ts";
import { type World, writeLine } from "../world.ts";

const MAX_INIT_SEGMENTS = 64;

export const INIT_HELP = `Usage: rehearse init [options]

Writes, in the current directory (never overwriting a file):
  rehearse/<name>.ts                       a commented cold-cache scenario for your app
  rehearse/staging.target.json             a staging target template (\${VAR} secrets, loopback)
  rehearse/baselines/.gitkeep              where accepted runs go, for rehearse compare
  rehearse/README.md                       what each file is for
  .github/workflows/rehearse-nightly.yml   the nightly regression job
  with --distributed github: .github/workflows/rehearse-distributed.yml (a segment matrix and a merge job)
  with --distributed k8s:    rehearse/k8s/job.yaml, configmap.yaml, README.md (an Indexed Job and its steps)

Options:
  --kind <app|ops>        app: start your app and drive HTTP at it (default);
                          ops: your own queries and cache keys, no app
  --app-command <cmd>     how your app starts (default "npm start")
  --app-cwd <dir>         your app's directory, from the repository root (default ".")
  --setup <cmd>           run once before the app starts, e.g. "npm run migrate" (repeatable)
  --ready <path>          answers 2xx when the app is ready (default "/")
  --env <NAME=value>      an environment variable your app reads, with {pgbouncer}, {postgres},
                          {redis} or {port} for rehearse's (repeatable): --env PG_URL={pgbouncer}
  --port-env <NAME>       the variable your app takes its port from, if not PORT: --port-env APP_PORT
  --name <name>           the scenario's name (default "cold-cache")
  --dir <dir>             where the scenario goes (default "rehearse")
  --root <dir>            the repository root (default: the current directory)
  --distributed <k8s|github>  also write a run from several machines: a Kubernetes Indexed Job or a
                          GitHub Actions matrix, one segment each (run --segment), merged by rehearse merge
  --segments <n>          with --distributed: how many parts (2–${MAX_INIT_SEGMENTS}, default ${DEFAULT_SEGMENTS})

Exit codes: 0 written (or every file already there), 2 bad input.`;

const NAME = /^[a-z0-9][a-z0-9-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `--env NAME=value` (repeatable) and `--port-env NAME`, into the app's env block. */
function readEnvFlags(pairs: string[], portEnv: string | undefined, problems: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    const name = at < 0 ? pair : pair.slice(0, at);
    if (at < 0 || !ENV_NAME.test(name)) {
      problems.push(`--env: '${pair}' must be NAME=value, e.g. PG_URL={pgbouncer}`);
      continue;
    }
    const value = pair.slice(at + 1);
    const unknown = [...value.matchAll(/\{([a-z]+)\}/g)]
      .map((m) => m[1])
      .filter((p) => !PLACEHOLDERS.includes(p ?? ""));
    if (unknown.length > 0)
      problems.push(`--env: '${pair}': {${unknown[0]}} is not one of ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}`);
    else env[name] = value;
  }
  if (portEnv !== undefined) {
    if (!ENV_NAME.test(portEnv)) problems.push(`--port-env: '${portEnv}' is not a variable name`);
    else env[portEnv] = "{port}";
  }
  return env;
}

const PLACEHOLDERS = ["pgbouncer", "postgres", "redis", "port"];

export async function initCommand(args: string[], world: World): Promise<Outcome> {
  const { values } = parseCliArgs({
    args,
    options: {
      kind: { type: "string" },
      "app-command": { type: "string" },
      "app-cwd": { type: "string" },
      setup: { type: "string", multiple: true },
      ready: { type: "string" },
      env: { type: "string", multiple: true },
      "port-env": { type: "string" },
      name: { type: "string" },
      dir: { type: "string" },
      root: { type: "string" },
      distributed: { type: "string" },
      segments: { type: "string" },
    },
    strict: true,
  });
  const problems: string[] = [];
  const kind = values.kind ?? "app";
  if (kind !== "app" && kind !== "ops") problems.push(`--kind: '${kind}' is not one of app, ops`);
  const name = values.name ?? "cold-cache";
  if (!NAME.test(name)) problems.push(`--name: '${name}' must be lower-case letters, digits and dashes`);
  const dir = values.dir ?? "rehearse";
  if (isAbsolute(dir) || dir.split(/[\\/]/).includes(".."))
    problems.push(`--dir: '${dir}' must be a path inside the repository`);
  const ready = values.ready ?? "/";
  if (!ready.startsWith("/")) problems.push(`--ready: '${ready}' must be a path starting with /`);
  if (kind === "ops") {
    for (const flag of ["app-command", "app-cwd", "setup", "ready", "env", "port-env"] as const)
      if (values[flag] !== undefined) problems.push(`--${flag}: only with --kind app`);
  }
  const env = readEnvFlags(values.env ?? [], values["port-env"], problems);
  const distributed = values.distributed;
  if (distributed !== undefined && distributed !== "k8s" && distributed !== "github")
    problems.push(`--distributed: '${distributed}' is not one of k8s, github`);
  const segments = Number(values.segments ?? DEFAULT_SEGMENTS);
  if (values.segments !== undefined && distributed === undefined) problems.push("--segments: only with --distributed");
  if (!Number.isInteger(segments) || segments < 2 || segments > MAX_INIT_SEGMENTS)
    problems.push(`--segments: '${values.segments}' is not a whole number from 2 to ${MAX_INIT_SEGMENTS}`);
  if (problems.length > 0) throw new BadInputError("invalid options", problems);

  const root = resolve(values.root ?? process.cwd());
  const appCwd = relative(join(root, dir), join(root, values["app-cwd"] ?? ".")) || ".";
  const scenario =
    kind === "app"
      ? appScenario(name, {
          command: values["app-command"] ?? "npm start",
          cwd: appCwd,
          setup: values.setup ?? [],
          ready,
          env,
        })
      : opsScenario(name);
  const files: [string, string][] = [
    [join(dir, `${name}.ts`), scenario],
    [join(dir, "staging.target.json"), stagingTarget()],
    [join(dir, "baselines", ".gitkeep"), ""],
    [join(dir, "README.md"), initReadme(dir, name)],
    [join(".github", "workflows", "rehearse-nightly.yml"), nightlyWorkflow(dir)],
  ];
  const plan: DistributedPlan = { scenario: `${dir}/${name}.ts`, target: `${dir}/staging.target.json`, segments };
  if (distributed === "github")
    files.push([join(".github", "workflows", "rehearse-distributed.yml"), githubWorkflow(plan)]);
  if (distributed === "k8s") {
    const k8sDir = `${dir}/k8s`;
    const { configMap, job } = k8sObjects(plan, { scenario, target: stagingTarget() }, "REPLACE-WITH-YOUR-IMAGE");
    files.push(
      [join(dir, "k8s", "job.yaml"), stringify(job)],
      [join(dir, "k8s", "configmap.yaml"), stringify(configMap)],
      [join(dir, "k8s", "README.md"), k8sReadme(plan, k8sDir)],
    );
  }
  for (const [path, text] of files) {
    const target = join(root, path);
    if (existsSync(target)) {
      writeLine(world.stdout, `rehearse init: kept    ${path} (already there)`);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    // "wx": fails rather than overwrite a file that appeared since the check.
    writeFileSync(target, text, { flag: "wx" });
    writeLine(world.stdout, `rehearse init: wrote   ${path}`);
  }
  writeLine(
    world.stdout,
    `\nNext: npm install --save-dev rehearse (if it is not there yet), then\n  npx rehearse run ${dir}/${name}.ts`,
  );
  return "ok";
}
