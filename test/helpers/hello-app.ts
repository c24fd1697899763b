/** The trivial HTTP app the accuracy tests stall (test/fixtures/apps/hello.js): its own process on a free
 * loopback port, ready. */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freeLoopbackPorts } from "../../containers/ports.ts";
import { AppInstance } from "../../harness/app/app-instance.ts";

const APP = fileURLToPath(new URL("../fixtures/apps/hello.js", import.meta.url));

export async function startHelloApp(logDir: string): Promise<AppInstance> {
  const [port] = (await freeLoopbackPorts(1)) as [number];
  const app = AppInstance.spawn({
    command: `node ${APP}`,
    cwd: dirname(APP),
    env: { PATH: process.env.PATH ?? "", PORT: String(port) },
    port,
    log: join(logDir, "app.log"),
  });
  await app.waitReady("/", 10_000, new AbortController().signal);
  return app;
}
