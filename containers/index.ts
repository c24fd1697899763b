export { redactUrl } from "../core/redact.ts";
export { cleanLeftovers } from "./clean.ts";
export { isLoopbackHost, loadTargetFile, type Target } from "./external/target-file.ts";
export { Registry } from "./registry.ts";
export * from "./settings.ts";
export { NoProviderError, type ProviderChoice, type StartStackOptions, startStack } from "./start-stack.ts";
export { ImageUnavailableError } from "./testcontainers/container-service.ts";
export * from "./types.ts";
export { redactUrls } from "./urls.ts";
