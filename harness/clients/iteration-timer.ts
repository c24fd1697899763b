/** One HTTP request as the metrics see it. */
export interface HttpSample {
  /** k6's `name` tag: the request's `name` option, else its path without the query string. */
  name: string;
  /** 0: no response (a network failure). */
  status: number;
  /** Request start → response end (k6's http_req_duration plus the wait for a socket). */
  ms: number;
  /** A network failure or a status the op did not expect. */
  failed: boolean;
}

/** What one iteration spent waiting for a connection and being served; summed across its calls. */
export class IterationTimer {
  poolWaitMs = 0;
  serviceMs = 0;
  cacheHits = 0;
  cacheMisses = 0;
  /** Its HTTP requests, when it made any. */
  http: HttpSample[] | undefined;
  /** k6-style checks the op ran: how many held, how many did not. */
  checksPassed = 0;
  checksFailed = 0;
}

export const now = (): number => performance.now();
