// State shared by every download of one run: the HTTP dispatcher (proxy settings and its
// keep-alive connections), per-host connection limits, demoted mirrors (a mirror that failed is
// tried last for the rest of the run, by file downloads and git fetches alike) and in-flight
// downloads.
//
// A run is one command: the CLI opens a session around it (withSession) and closes it after, so
// that no idle connection outlives the command and the process ends on its own. Code below reaches
// it through currentSession() without passing it through every stage; an explicit `session`
// option wins (tests pass their own to start clean). Library calls outside any command share one
// session for the process.

import { AsyncLocalStorage } from "node:async_hooks";
import type { Dispatcher } from "undici";
import { HostLimiter } from "./limits.ts";
import { undici } from "./undici.ts";
import type { Fetched } from "./request.ts";

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

  /** One dispatcher per proxy configuration; undici is imported lazily (`bundle --help` never loads it, see undici.ts). */
  dispatcher(env: NodeJS.ProcessEnv): Promise<Dispatcher> {
    const p = proxyEnv(env);
    const key = JSON.stringify(p);
    let d = this.dispatchers.get(key);
    if (!d) {
      d = undici().then(({ EnvHttpProxyAgent }) =>
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

const scope = new AsyncLocalStorage<FetchSession>();
let processSession: FetchSession | undefined;

/** Runs `fn` with `session` as the session of everything it downloads or fetches; the caller closes it. */
export function withSession<T>(session: FetchSession, fn: () => Promise<T>): Promise<T> {
  return scope.run(session, fn);
}

/** The session of the running command; outside one, the process's own. */
export function currentSession(): FetchSession {
  return scope.getStore() ?? (processSession ??= new FetchSession());
}
