// A loopback HTTP file server with fault switches, for tests, benchmarks and the demo world (HTTP
// 500/503/404, reset mid-body, truncated body, wrong bytes, ignored Range, per-connection and total
// throttles, redirect chains, redirects to other schemes, Hugging Face style X-Linked-* headers). It counts requests and body bytes per path, so tests can
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
  /** Answer Range requests with 206 but the bytes (and Content-Range) of another range: from this offset. */
  wrongRangeFrom?: number;
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
  /** The most responses sent at the same time (since the last reset). */
  peak: number;
  reset(): void;
}

export interface FileServerOptions {
  files?: Record<string, FileBody>;
  /** Bytes per second for every response, and for all responses together; how far behind (ms) a late sender may catch up (default 20). */
  throttle?: { perConnection?: number; total?: number; burstMs?: number };
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

/**
 * A `when` switch that is true for the first request to each URL and false afterwards: with
 * `status: 500` it is a flaky proxy that fails every URL once (git's smart-HTTP exchange asks
 * several URLs in turn, so a fetch meets it more than once).
 */
export function firstRequestPerUrl(): (req: { path: string; query?: string }) => boolean {
  const seen = new Set<string>();
  return (req) => {
    const url = req.query ? `${req.path}?${req.query}` : req.path;
    if (seen.has(url)) return false;
    seen.add(url);
    return true;
  };
}

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

/** Everything a request handler needs. */
interface World {
  opts: FileServerOptions;
  files: Map<string, FileBody>;
  faults: Map<string, Fault>;
  stats: ServerStats;
  total: Pacer | undefined;
}

function newStats(): ServerStats {
  return {
    requests: [],
    bytes: {},
    totalBytes: 0,
    active: 0,
    peak: 0,
    reset() {
      this.requests.length = 0;
      this.bytes = {};
      this.totalBytes = 0;
      this.peak = this.active;
    },
  };
}

/** The fault for this request (its path first, then "*"), counting down `times`. */
function faultFor(w: World, path: string, info: RequestInfo): Fault | undefined {
  for (const key of [path, "*"]) {
    const f = w.faults.get(key);
    if (!f || (f.when && !f.when(info))) continue;
    if (f.times !== undefined && --f.times <= 0) w.faults.delete(key);
    return f;
  }
  return undefined;
}

/** Splits the internal redirect-hop and fault-bypass prefixes off a path. */
function route(raw: string): { path: string; hop: number | undefined; direct: boolean } {
  const path = decodeURIComponent(new URL(raw, "http://x").pathname);
  const m = /^\/__hop\/(\d+)(\/.*)$/.exec(path);
  if (m) return { path: m[2]!, hop: Number(m[1]), direct: false };
  if (path.startsWith(`${DIRECT}/`)) return { path: path.slice(DIRECT.length), hop: undefined, direct: true };
  return { path, hop: undefined, direct: false };
}

async function handle(w: World, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { path, hop, direct } = route(req.url ?? "/");
  const log = (status: number) => w.stats.requests.push({ method: req.method ?? "GET", path, range: req.headers.range, status });
  const info: RequestInfo = { method: req.method ?? "GET", path, range: req.headers.range };
  const fault = hop === undefined ? faultFor(w, path, info) : w.faults.get(path);
  if (fault?.delayMs) await sleep(fault.delayMs);
  if (fault?.redirect && !direct) {
    const left = (hop ?? fault.redirect.hops) - 1; // redirects still to come after this one
    const to = left > 0 ? `${HOP}${left}${path}` : (fault.redirect.to ?? `${DIRECT}${path}`);
    log(302);
    res.writeHead(302, { location: to, "content-length": 0 }).end();
    return;
  }
  const body = w.files.get(path);
  if (fault?.status || !body) {
    const status = fault?.status ?? 404;
    log(status);
    res.writeHead(status, { "content-type": "text/plain" }).end(`${status === 404 ? "not found" : `fault ${status}`}\n`);
    return;
  }
  const size = Buffer.isBuffer(body) ? body.length : body.size;
  const headers: Record<string, string | number> = { "accept-ranges": "bytes", "content-type": "application/octet-stream" };
  if (req.method === "HEAD") {
    if (w.opts.linked || fault?.linkedEtag) Object.assign(headers, { "x-linked-size": size, "x-linked-etag": `"${fault?.linkedEtag ?? sha256Of(body)}"` });
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
  const start = range && fault?.wrongRangeFrom !== undefined ? fault.wrongRangeFrom : (range?.start ?? 0);
  const end = range ? range.end + 1 : size;
  if (range) headers["content-range"] = `bytes ${start}-${end - 1}/${size}`;
  log(range ? 206 : 200);
  res.writeHead(range ? 206 : 200, { ...headers, "content-length": end - start });
  w.stats.active++;
  w.stats.peak = Math.max(w.stats.peak, w.stats.active);
  try {
    await sendBody(w, res, body, start, end, path, fault);
  } finally {
    w.stats.active--;
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((r) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      r();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** Sends bytes [start, end) in chunks, paced, with the body faults applied; counts what was sent. */
async function sendBody(w: World, res: ServerResponse, body: FileBody, start: number, end: number, path: string, fault: Fault | undefined): Promise<void> {
  const rate = fault?.throttle ?? w.opts.throttle?.perConnection;
  const own = rate ? new Pacer(rate, w.opts.throttle?.burstMs) : undefined;
  const cut = fault?.resetAfter ?? fault?.truncateAfter;
  let sent = 0;
  for (let pos = start; pos < end; ) {
    if (res.destroyed) return;
    const n = Math.min(CHUNK, end - pos, cut === undefined ? Infinity : cut - sent);
    if (n <= 0) {
      if (fault?.resetAfter !== undefined) res.socket?.resetAndDestroy();
      else res.socket?.end(); // a clean close before Content-Length was reached: a truncated body
      return;
    }
    await Promise.all([own?.take(n), w.total?.take(n)]);
    if (res.destroyed) return;
    let chunk = Buffer.isBuffer(body) ? body.subarray(pos, pos + n) : body.generate(pos, n);
    if (fault?.corrupt) {
      chunk = Buffer.from(chunk);
      chunk[0] = chunk[0]! ^ 0xff;
    }
    sent += n;
    pos += n;
    w.stats.bytes[path] = (w.stats.bytes[path] ?? 0) + n;
    w.stats.totalBytes += n;
    if (!res.write(chunk)) await drained(res);
  }
  res.end();
}

export async function startFileServer(opts: FileServerOptions = {}): Promise<FileServer> {
  const w: World = {
    opts,
    files: new Map<string, FileBody>(Object.entries(opts.files ?? {})),
    faults: new Map<string, Fault>(),
    stats: newStats(),
    total: opts.throttle?.total ? new Pacer(opts.throttle.total, opts.throttle.burstMs) : undefined,
  };
  const server = createServer((req, res) => {
    handle(w, req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? "127.0.0.1"}:${port}`,
    port,
    stats: w.stats,
    setFile: (path, body) => (body === undefined ? w.files.delete(path) : w.files.set(path, body)),
    setFault: (path, fault) => (fault === undefined ? w.faults.delete(path) : w.faults.set(path, { ...fault })),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
