/**
 * Waiting for something with a bound. The timer is referenced (Node stays up
 * while it runs: an unreferenced one let Node exit mid-teardown once nothing
 * else was alive) and cleared as soon as the thing settles.
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
