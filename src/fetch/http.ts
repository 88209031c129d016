// One HTTP exchange through undici, with redirects followed by hand: only to http(s), at most
// MAX_REDIRECTS hops, each hop on the same proxy rules. A redirect to any other scheme is refused:
// recipes allow only http(s) mirrors, and a redirect must not be a way around that.

import type { Dispatcher } from "undici";
import { AttemptError, toAttemptError } from "./outcome.ts";
import { undici } from "./undici.ts";
import type { FetchSession } from "./session.ts";

export const MAX_REDIRECTS = 10;

export interface Timeouts {
  /** Time to wait for the response headers (default 60 s). */
  headersMs: number;
  /** Longest silence in the middle of a body (default 60 s). */
  bodyMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { headersMs: 60_000, bodyMs: 60_000 };

export interface OpenOptions {
  session: FetchSession;
  env: NodeJS.ProcessEnv;
  method?: "GET" | "HEAD";
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  timeouts?: Timeouts;
  /** Return 3xx responses instead of following them (Hugging Face's X-Linked-* headers live there). */
  noRedirect?: boolean;
}

export interface Opened {
  /** The URL that answered (after redirects). */
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData["body"];
}

export function header(h: Opened["headers"], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Sends the request and returns the first non-redirect response (its body not yet read). */
export async function openUrl(url: string, opts: OpenOptions): Promise<Opened> {
  const { request } = await undici();
  const dispatcher = await opts.session.dispatcher(opts.env);
  const t = opts.timeouts ?? DEFAULT_TIMEOUTS;
  let current = url;
  for (let hop = 0; ; hop++) {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(current, {
        dispatcher,
        method: opts.method ?? "GET",
        headers: { "user-agent": "greenbundle", "accept-encoding": "identity", ...opts.headers },
        signal: opts.signal,
        headersTimeout: t.headersMs,
        bodyTimeout: t.bodyMs,
      });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw toAttemptError(e, url);
    }
    const location = header(res.headers, "location");
    if (res.statusCode < 300 || res.statusCode >= 400 || res.statusCode === 304 || !location || opts.noRedirect) {
      return { url: current, status: res.statusCode, headers: res.headers, body: res.body };
    }
    await res.body.dump().catch(() => {});
    if (hop + 1 > MAX_REDIRECTS) throw new AttemptError("refused", url, `more than ${MAX_REDIRECTS} redirects (last: ${current})`);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new AttemptError("refused", url, `redirect to an invalid location "${location}"`);
    }
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw new AttemptError("refused", url, `redirect to ${next.protocol.replace(/:$/, "")}: refused (only http and https are followed)`);
    }
    current = next.href;
  }
}

/** Abandons a response body without reading it (undici reports the abort as an error event: swallow it). */
export function dropBody(body: Opened["body"]): void {
  body.on("error", () => {});
  body.destroy();
}
