export { cleanLeftovers } from "./clean.ts";
export { loadTargetFile, type Target } from "./external/target-file.ts";
export { Registry } from "./registry.ts";
export * from "./settings.ts";
export { checkStackOptions, type ProviderChoice, type StartStackOptions, startStack } from "./start-stack.ts";
export * from "./types.ts";
export { redactUrl, redactUrls } from "./urls.ts";
