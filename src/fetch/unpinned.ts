// Downloads whose digest is not known yet: trust on first use by a maintainer (`bundle lock` for
// recipe hashes written as "lock"), index pages, and ranged reads of a wheel's central directory.
// The same mirror loop and error classes as pinned downloads; no resume (without a digest a
// resumed file could silently mix two versions of a file that changed upstream).

import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { keys } from "../cache/layout.ts";
import { BundleError } from "../core/errors.ts";
import type { Emit } from "../core/events.ts";
import { MeterStream, type Actual } from "../integrity/sha256.ts";
import { progressReporter, runCtx, type RunCtx } from "./context.ts";
import { dropBody, header, openUrl, type Opened } from "./http.ts";
import { tryMirrors } from "./mirrors.ts";
import { AttemptError, isAbort, statusError, toAttemptError } from "./outcome.ts";
import { parseContentRange } from "./stream.ts";
import type { FetchSession } from "./session.ts";
import type { Fetched, FetchOptions } from "./types.ts";

/** Downloads the first URL that answers, hashes it, stores it by the computed digest and records which URL served it. */
export async function fetchUnpinned(req: { id: string; urls: string[]; key?: string }, opts: FetchOptions): Promise<Fetched> {
  const ctx = runCtx(opts);
  for (const u of req.urls) {
    const sha256 = await ctx.cache.lookup(keys.url(u));
    if (!sha256) continue;
    const size = (await ctx.cache.blobSize(sha256))!;
    await ctx.cache.touch(sha256, size);
    ctx.emit({ type: "download:done", id: req.id, url: u, bytes: size, cached: true });
    return { id: req.id, path: ctx.cache.blobPath(sha256), sha256, size, url: u, cached: true };
  }
  if (ctx.offline) {
    throw new BundleError("OFFLINE_MISSING", `--offline: ${req.id} is not in the cache ${ctx.cache.dir} (looked for ${req.urls.join(", ")})`, { hint: "run once with network access" });
  }
  const { value, url } = await tryMirrors(req.id, `${req.id} (not pinned yet)`, req.urls, ctx, (u) => downloadToTmp(u, req.id, ctx));
  const path = await ctx.cache.commit(value.tmp, value.actual, { url, key: req.key });
  await ctx.cache.record(keys.url(url), value.actual.sha256);
  ctx.emit({ type: "download:done", id: req.id, url, bytes: value.actual.size, cached: false });
  return { id: req.id, path, sha256: value.actual.sha256, size: value.actual.size, url, cached: false };
}

function contentLength(res: Opened): number | undefined {
  const v = header(res.headers, "content-length");
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

async function downloadToTmp(url: string, id: string, ctx: RunCtx): Promise<{ tmp: string; actual: Actual }> {
  const tmp = await ctx.cache.tmpFile("unpinned");
  const release = await ctx.session.hosts.acquire(url, ctx.perHost, ctx.signal);
  try {
    const res = await openUrl(url, { session: ctx.session, env: ctx.env, signal: ctx.signal, timeouts: ctx.timeouts });
    if (res.status !== 200) {
      dropBody(res.body);
      throw statusError(url, res.status);
    }
    const total = contentLength(res);
    ctx.emit({ type: "download:start", id, url, ...(total !== undefined ? { total } : {}) });
    const report = progressReporter(ctx.emit, id, total);
    const meter = new MeterStream({ limit: total, onBytes: (n) => report(n) });
    try {
      await pipeline(res.body, meter, createWriteStream(tmp));
    } catch (e) {
      throw isAbort(e, ctx.signal) ? e : toAttemptError(e, url, meter.bytes);
    }
    if (total !== undefined && meter.bytes < total) throw new AttemptError("transient", url, `truncated body: ${meter.bytes} of ${total} bytes`);
    return { tmp, actual: { sha256: meter.digest(), size: meter.bytes } };
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    release();
  }
}

export interface SmallRequestOptions {
  emit?: Emit;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  session?: FetchSession;
  rounds?: number;
  backoff?: FetchOptions["backoff"];
  timeouts?: FetchOptions["timeouts"];
  /** Name used in events and errors (default: the first URL). */
  id?: string;
}

function smallCtx(o: SmallRequestOptions): RunCtx {
  return runCtx({ cacheDir: ".", ...o });
}

/** Reads a whole (small) body into memory, refusing more than `max` bytes. */
async function readBody(res: Opened, url: string, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > max) throw new AttemptError("refused", url, `more than ${max} bytes where a small document was expected`);
      parts.push(chunk);
    }
  } catch (e) {
    throw toAttemptError(e, url, n);
  }
  const total = contentLength(res);
  if (total !== undefined && n < total) throw new AttemptError("transient", url, `truncated body: ${n} of ${total} bytes`);
  return Buffer.concat(parts);
}

export interface Document {
  /** The URL that finally answered (after redirects): resolve relative links against it. */
  url: string;
  /** The candidate URL (mirror) that was asked. */
  mirror: string;
  status: number;
  contentType: string;
  body: Buffer;
}

/**
 * A small document (a PEP 503/691 project page) from the first mirror that has it, with the same
 * fallback, rounds and demotion as downloads. 404 on every mirror → BundleError with every URL
 * and `details.notFound`.
 */
export async function getDocument(urls: string[], opts: SmallRequestOptions & { accept?: string; maxBytes?: number } = {}): Promise<Document> {
  const ctx = smallCtx(opts);
  const id = opts.id ?? urls[0] ?? "document";
  const { value } = await tryMirrors(id, id, urls, ctx, async (u) => {
    const release = await ctx.session.hosts.acquire(u, ctx.perHost, ctx.signal);
    try {
      const res = await openUrl(u, { session: ctx.session, env: ctx.env, signal: ctx.signal, timeouts: ctx.timeouts, headers: opts.accept ? { accept: opts.accept } : {} });
      if (res.status !== 200) {
        dropBody(res.body);
        throw statusError(u, res.status);
      }
      const body = await readBody(res, u, opts.maxBytes ?? 256 << 20);
      return { url: res.url, mirror: u, status: res.status, contentType: header(res.headers, "content-type") ?? "", body };
    } finally {
      release();
    }
  });
  return value;
}

/**
 * Bytes [start, start+length) of `url`, or with length "suffix" its last `start` bytes (for a
 * wheel's zip central directory). Fails with `details.rangeIgnored` when the server answers 200.
 */
export async function readRange(url: string, start: number, length: number | "suffix", opts: SmallRequestOptions = {}): Promise<{ body: Buffer; total?: number }> {
  const ctx = smallCtx(opts);
  const range = length === "suffix" ? `bytes=-${start}` : `bytes=${start}-${start + length - 1}`;
  const want = length === "suffix" ? start : length;
  const { value } = await tryMirrors(opts.id ?? url, url, [url], ctx, async (u) => {
    const res = await openUrl(u, { session: ctx.session, env: ctx.env, signal: ctx.signal, timeouts: ctx.timeouts, headers: { range } });
    if (res.status === 200) {
      dropBody(res.body);
      throw new BundleError("NETWORK", `${u} ignores Range requests (it answered ${range} with the whole file)`, {
        hint: "download the whole file instead",
        details: { url: u, rangeIgnored: true },
      });
    }
    if (res.status !== 206) {
      dropBody(res.body);
      throw statusError(u, res.status);
    }
    const cr = parseContentRange(header(res.headers, "content-range"));
    if (!cr || (length !== "suffix" && cr.start !== start)) {
      dropBody(res.body);
      throw new AttemptError("refused", u, `unexpected Content-Range "${header(res.headers, "content-range") ?? ""}" for ${range}`);
    }
    const body = await readBody(res, u, want);
    return { body, ...(cr.total !== undefined ? { total: cr.total } : {}) };
  });
  return value;
}
