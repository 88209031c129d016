// State shared by every download of one run (one process): the HTTP dispatcher (proxy settings),
// per-host connection limits, demoted mirrors and in-flight downloads. "A mirror that failed is
// demoted for the rest of the run" (issue 3), so this lives as long as the process; tests pass
// their own session to start clean.

import type { Dispatcher } from "undici";
import { HostLimiter } from "./limits.ts";
import type { Fetched } from "./types.ts";

/** Proxy settings from the environment (curl's variable names; lower case wins, as in curl). */
export interface ProxyEnv {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

/**
 * Loopback never goes through a proxy (Go's net/http does the same): a proxy elsewhere cannot
 * reach this machine's 127.0.0.1, and LAN/loopback mirrors must keep working when a user exports
 * HTTPS_PROXY for the internet. Everything else follows NO_PROXY as undici reads it (host, suffix,
 * `.suffix`, `*.suffix`, `host:port`, `*`).
 */
export const LOOPBACK_NO_PROXY = ["localhost", "127.0.0.1", "::1"];

export function proxyEnv(env: NodeJS.ProcessEnv): ProxyEnv {
  const pick = (name: string) => env[name.toLowerCase()] ?? env[name.toUpperCase()] ?? "";
  const httpProxy = pick("http_proxy");
  const noProxy = [pick("no_proxy"), ...LOOPBACK_NO_PROXY].filter(Boolean).join(",");
  return { httpProxy, httpsProxy: pick("https_proxy") || httpProxy, noProxy };
}

/** The mirror a URL belongs to, for demotion: its origin (a mirror that fails once is probably down for everything). */
export function mirrorKey(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export class FetchSession {
  readonly hosts = new HostLimiter();
  readonly demoted = new Set<string>();
  /** In-flight downloads by cache dir + digest, so one process never downloads the same bytes twice. */
  readonly inflight = new Map<string, Promise<Fetched>>();
  private readonly dispatchers = new Map<string, Promise<Dispatcher>>();

  /** One dispatcher per proxy configuration; undici is imported lazily (STYLE.md habit 12). */
  dispatcher(env: NodeJS.ProcessEnv): Promise<Dispatcher> {
    const p = proxyEnv(env);
    const key = JSON.stringify(p);
    let d = this.dispatchers.get(key);
    if (!d) {
      d = import("undici").then(({ EnvHttpProxyAgent }) =>
        new EnvHttpProxyAgent({
          httpProxy: p.httpProxy,
          httpsProxy: p.httpsProxy,
          noProxy: p.noProxy,
          keepAliveTimeout: 10_000,
          connect: { timeout: 30_000 },
        }),
      );
      this.dispatchers.set(key, d);
    }
    return d;
  }

  demote(url: string): void {
    this.demoted.add(mirrorKey(url));
  }

  isDemoted(url: string): boolean {
    return this.demoted.has(mirrorKey(url));
  }

  /** Candidates in the recipe's order, demoted mirrors moved to the end (still in their order). */
  order(urls: readonly string[]): string[] {
    const unique = [...new Set(urls)];
    return [...unique.filter((u) => !this.isDemoted(u)), ...unique.filter((u) => this.isDemoted(u))];
  }

  async close(): Promise<void> {
    const all = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(all.map(async (d) => (await d).close().catch(() => {})));
  }
}

/** The session of this process (the CLI run). */
export const defaultSession = new FetchSession();
