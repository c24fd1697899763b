/** The names report.json uses for providers, services, error classes and trends. */
export type ProviderName = "testcontainers" | "native" | "external";
export type ServiceName = "postgres" | "pgbouncer" | "redis";
export type ErrorClass = "timeout" | "connection" | "pool_timeout" | "query" | "http_4xx" | "http_5xx" | "other";
export type Trend = "latency" | "dispatch_lag" | "pool_wait" | "service_time";
