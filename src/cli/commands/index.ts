// Command name → implementation, imported lazily so `bundle --help` stays fast.

import type { CommandImpl } from "../context.ts";

export const IMPLEMENTATIONS: Record<string, () => Promise<CommandImpl>> = {
  plan: async () => (await import("./plan.ts")).run,
  lock: async () => (await import("./lock.ts")).run,
  build: async () => (await import("./build.ts")).run,
  fetch: async () => (await import("./fetch.ts")).run,
  cache: async () => (await import("./cache.ts")).run,
  verify: async () => (await import("./verify.ts")).run,
  demo: async () => (await import("./demo.ts")).run,
  delta: async () => (await import("./delta.ts")).run,
};
