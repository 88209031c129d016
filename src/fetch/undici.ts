// The two parts of undici the engine uses, the request API and the proxy-aware agent, loaded
// without the rest: undici's index also loads fetch, WebSocket, the HTTP cache and the mock
// agents, about half of its import time (0.1–0.2 s on a slow machine), and every run pays that
// before its first request. undici has no "exports" map, so its lib/ files can be imported; should
// a later version move them, the whole package is loaded instead (the same API).

import type { Dispatcher, EnvHttpProxyAgent } from "undici";

type RequestOptions = Omit<Dispatcher.RequestOptions, "origin" | "path"> & { dispatcher: Dispatcher };

export interface UndiciParts {
  request(url: string, opts: RequestOptions): Promise<Dispatcher.ResponseData>;
  EnvHttpProxyAgent: typeof EnvHttpProxyAgent;
}

// Module names in variables: type checking does not look for declarations of undici's internals.
const API = "undici/lib/api/index.js";
const DISPATCHER = "undici/lib/dispatcher/dispatcher.js";
const PROXY_AGENT = "undici/lib/dispatcher/env-http-proxy-agent.js";

let parts: Promise<UndiciParts> | undefined;

export function undici(): Promise<UndiciParts> {
  return (parts ??= load());
}

async function load(): Promise<UndiciParts> {
  try {
    const [api, d, a] = (await Promise.all([import(API), import(DISPATCHER), import(PROXY_AGENT)])) as { default: unknown }[];
    const methods = api!.default as { request?: unknown; connect?: unknown };
    const DispatcherClass = d!.default as { prototype: object };
    const Agent = a!.default as typeof EnvHttpProxyAgent;
    if (typeof methods?.request !== "function" || typeof methods.connect !== "function" || typeof DispatcherClass?.prototype !== "object" || typeof Agent !== "function") throw new Error("undici's internals moved");
    // What undici's index.js does first: every dispatcher gets request, connect (the proxy's
    // CONNECT tunnel needs it), stream, pipeline and upgrade. Doing it twice changes nothing.
    Object.assign(DispatcherClass.prototype, methods);
    const requestApi = methods.request as (this: Dispatcher, opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
    return {
      EnvHttpProxyAgent: Agent,
      // What undici's own request(url, opts) does with the URL before calling the same function.
      request: (url, { dispatcher, ...opts }) => {
        const u = new URL(url);
        return requestApi.call(dispatcher, { ...opts, origin: u.origin, path: u.pathname + u.search });
      },
    };
  } catch {
    const u = await import("undici");
    return { EnvHttpProxyAgent: u.EnvHttpProxyAgent, request: (url, opts) => u.request(url, opts) };
  }
}
