// A loopback HTTP file server with fault switches, for tests, benchmarks and the demo world
// (DESIGN.md "What is verified": HTTP 500/503/404, reset mid-body, truncated body, wrong bytes,
// ignored Range, per-connection and total throttles, redirect chains, redirects to other schemes,
// Hugging Face style X-Linked-* headers). It counts requests and body bytes per path, so tests can
// assert what was downloaded ("resume fetched only the remainder", "two processes, one download").

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { sha256Of, type GeneratedBody } from "./generated.ts";
import { Pacer } from "./pacer.ts";

export type FileBody = Buffer | GeneratedBody;

export interface RequestInfo {
  method: string;
  path: string;
  /** The Range header as sent, if any. */
  range?: string | undefined;
}

/** Switches for one path (or "*"). Several may be combined. */
export interface Fault {
  /** Answer with this status and no file (500, 503, 404, 410, 403…). */
  status?: number;
  /** Reset the connection (RST) after this many body bytes. */
  resetAfter?: number;
  /** Close the connection cleanly after this many body bytes, Content-Length still announcing all of them. */
  truncateAfter?: number;
  /** Serve other bytes of the right length. */
  corrupt?: boolean;
  /** Answer Range requests with 200 and the whole file. */
  ignoreRange?: boolean;
  /** Bytes per second for this response. */
  throttle?: number;
  /** Redirect through `hops` redirects, ending at `to` (default: the file itself). `to` may be any scheme. */
  redirect?: { hops: number; to?: string };
  /** X-Linked-Etag to announce on HEAD instead of the real sha256. */
  linkedEtag?: string;
  /** Wait this long before answering (timeouts). */
  delayMs?: number;
  /** Only for the next N matching requests, then the fault clears itself. */
  times?: number;
  /** Only requests for which this says true (e.g. ranged requests starting past some offset). */
  when?: (req: RequestInfo) => boolean;
}

export interface ServerStats {
  requests: (RequestInfo & { status: number })[];
  /** Body bytes sent per path. */
  bytes: Record<string, number>;
  totalBytes: number;
  /** Responses whose body is still being sent (wait for 0 before counting what a next run sends). */
  active: number;
  reset(): void;
}

export interface FileServerOptions {
  files?: Record<string, FileBody>;
  /** Bytes per second for every response, and for all responses together. */
  throttle?: { perConnection?: number; total?: number };
  /** Announce X-Linked-Size / X-Linked-Etag on HEAD, as Hugging Face does. */
  linked?: boolean;
  host?: string;
  port?: number;
}

export interface FileServer {
  url: string;
  port: number;
  stats: ServerStats;
  setFile(path: string, body: FileBody | undefined): void;
  setFault(path: string | "*", fault: Fault | undefined): void;
  close(): Promise<void>;
}

const CHUNK = 128 << 10;
const HOP = "/__hop/";
const DIRECT = "/__direct";

/** Parses a single `bytes=a-b`, `bytes=a-` or `bytes=-n` range against `size`; "bad" when unsatisfiable. */
export function parseRange(h: string | undefined, size: number): { start: number; end: number } | "bad" | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(h?.trim() ?? "");
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(size - 1, Number(m[2]));
  }
  return start >= size || end < start ? "bad" : { start, end };
}

export async function startFileServer(opts: FileServerOptions = {}): Promise<FileServer> {
  const files = new Map<string, FileBody>(Object.entries(opts.files ?? {}));
  const faults = new Map<string, Fault>();
  const total = opts.throttle?.total ? new Pacer(opts.throttle.total) : undefined;
  const stats: ServerStats = {
    requests: [],
    bytes: {},
    totalBytes: 0,
    active: 0,
    reset() {
      this.requests.length = 0;
      this.bytes = {};
      this.totalBytes = 0;
    },
  };

  const faultFor = (path: string, info: RequestInfo): Fault | undefined => {
    for (const key of [path, "*"]) {
      const f = faults.get(key);
      if (!f || (f.when && !f.when(info))) continue;
      if (f.times !== undefined && --f.times <= 0) faults.delete(key);
      return f;
    }
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const log = (status: number) => stats.requests.push({ method: req.method ?? "GET", path, range: req.headers.range, status });
    let hop: number | undefined;
    let direct = false;
    if (path.startsWith(HOP)) {
      const m = /^\/__hop\/(\d+)(\/.*)$/.exec(path);
      hop = Number(m?.[1] ?? 0);
      path = m?.[2] ?? "/";
    } else if (path.startsWith(`${DIRECT}/`)) {
      direct = true;
      path = path.slice(DIRECT.length);
    }
    const info: RequestInfo = { method: req.method ?? "GET", path, range: req.headers.range };
    const fault = hop === undefined ? faultFor(path, info) : faults.get(path);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.redirect && !direct) {
      const left = (hop ?? fault.redirect.hops) - 1; // redirects still to come after this one
      const to = left > 0 ? `${HOP}${left}${path}` : (fault.redirect.to ?? `${DIRECT}${path}`);
      log(302);
      res.writeHead(302, { location: to, "content-length": 0 }).end();
      return;
    }
    if (fault?.status) {
      log(fault.status);
      res.writeHead(fault.status, { "content-type": "text/plain" }).end(`fault ${fault.status}\n`);
      return;
    }
    const body = files.get(path);
    if (!body) {
      log(404);
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    const size = Buffer.isBuffer(body) ? body.length : body.size;
    const headers: Record<string, string | number> = { "accept-ranges": "bytes", "content-type": "application/octet-stream" };
    if (req.method === "HEAD") {
      if (opts.linked || fault?.linkedEtag) {
        headers["x-linked-size"] = size;
        headers["x-linked-etag"] = `"${fault?.linkedEtag ?? sha256Of(body)}"`;
      }
      log(200);
      res.writeHead(200, { ...headers, "content-length": size }).end();
      return;
    }
    const range = fault?.ignoreRange ? undefined : parseRange(req.headers.range, size);
    if (range === "bad") {
      log(416);
      res.writeHead(416, { "content-range": `bytes */${size}` }).end();
      return;
    }
    const start = range?.start ?? 0;
    const end = range ? range.end + 1 : size;
    const status = range ? 206 : 200;
    if (range) headers["content-range"] = `bytes ${start}-${end - 1}/${size}`;
    log(status);
    res.writeHead(status, { ...headers, "content-length": end - start });
    stats.active++;
    try {
      await sendBody(res, body, start, end, path, fault);
    } finally {
      stats.active--;
    }
  };

  const sendBody = async (res: ServerResponse, body: FileBody, start: number, end: number, path: string, fault: Fault | undefined) => {
    const rate = fault?.throttle ?? opts.throttle?.perConnection;
    const own = rate ? new Pacer(rate) : undefined;
    let sent = 0;
    for (let pos = start; pos < end; ) {
      if (res.destroyed) return;
      let n = Math.min(CHUNK, end - pos);
      const cut = fault?.resetAfter ?? fault?.truncateAfter;
      if (cut !== undefined) n = Math.min(n, cut - sent);
      if (n <= 0) {
        if (fault?.resetAfter !== undefined) res.socket?.resetAndDestroy();
        else res.socket?.end();
        return;
      }
      await Promise.all([own?.take(n), total?.take(n)]);
      if (res.destroyed) return;
      let chunk = Buffer.isBuffer(body) ? body.subarray(pos, pos + n) : body.generate(pos, n);
      if (fault?.corrupt) {
        chunk = Buffer.from(chunk);
        chunk[0] = chunk[0]! ^ 0xff;
      }
      sent += n;
      pos += n;
      stats.bytes[path] = (stats.bytes[path] ?? 0) + n;
      stats.totalBytes += n;
      if (!res.write(chunk)) await new Promise<void>((r) => {
        const done = () => {
          res.off("drain", done);
          res.off("close", done);
          r();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    }
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? "127.0.0.1"}:${port}`,
    port,
    stats,
    setFile: (path, body) => (body === undefined ? files.delete(path) : files.set(path, body)),
    setFault: (path, fault) => (fault === undefined ? faults.delete(path) : faults.set(path, { ...fault })),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
