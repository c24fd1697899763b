/** pino logger with connection secrets redacted wherever they appear. */
import { type DestinationStream, type Logger, pino } from "pino";
import { redactUrl, scrub } from "./redact.ts";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Keys whose values are URLs or passwords, at any of the first levels of nesting. */
const SECRET_PATHS = ["password", "url", "urls.*", "*.password", "*.url", "*.urls.*"];

export function createLogger(
  level: LogLevel,
  destination: DestinationStream,
  secrets: () => readonly string[],
): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: {
        paths: SECRET_PATHS,
        censor: (value: unknown) => (typeof value === "string" && value.includes("://") ? redactUrl(value) : "***"),
      },
      hooks: {
        // Free text (error messages from servers) may quote a URL: scrub known secrets from it.
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === "string" ? scrub(arg, secrets()) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}
