/** Free loopback ports for servers the harness starts (native and host-networked containers). */
import getPort from "get-port";

export const LOOPBACK = "127.0.0.1";

export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    // get-port remembers what it handed out recently, so the ports differ.
    ports.push(await getPort({ host: LOOPBACK, exclude: ports }));
  }
  return ports;
}
