/** What one iteration spent waiting for a connection and being served; summed across its calls. */
export class IterationTimer {
  poolWaitMs = 0;
  serviceMs = 0;
  cacheHits = 0;
  cacheMisses = 0;
}

export const now = (): number => performance.now();
