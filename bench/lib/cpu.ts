/** The CPU a bench measurement cost: this process' own user + system time (every thread), in µs. */
export async function withCpu<T>(work: () => Promise<T>): Promise<{ value: T; cpuUs: number }> {
  const before = process.cpuUsage();
  const value = await work();
  const spent = process.cpuUsage(before);
  return { value, cpuUs: spent.user + spent.system };
}

/** µs per iteration, one decimal; "n/a" without iterations. */
export function perIteration(cpuUs: number, iterations: number): string {
  return iterations > 0 ? (cpuUs / iterations).toFixed(1) : "n/a";
}
