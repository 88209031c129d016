// A single-connection download of one URL into the digest's partial file, hashed while written,
// resumed with Range when a partial exists (rustup's rules: re-hash the partial first, expect 206
// with a matching Content-Range, start over when the server ignores Range; keep the partial only
// on network failure).

import { open, rm, stat } from "node:fs/promises";
import type { Hash } from "node:crypto";
import { hashRange, integrityProblem, newHash, TooLargeError, type Actual } from "../integrity/sha256.ts";
import { dropBody, header, openUrl, type Opened } from "./http.ts";
import { AttemptError, isAbort, statusError, toAttemptError } from "./outcome.ts";
import { progressReporter, restartWarning, type RunCtx } from "./context.ts";
import { WriteBatch, writeAllAt } from "./write.ts";

/** The file being downloaded. */
export interface Target {
  id: string;
  sha256: string;
  size: number | undefined;
  partial: string;
}

export type StreamResult = { kind: "done"; actual: Actual } | { kind: "segment"; size: number };

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Parses `Content-Range: bytes a-b/total` (total may be `*`). */
export function parseContentRange(v: string | undefined): { start: number; end: number; total: number | undefined } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(v?.trim() ?? "");
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === "*" ? undefined : Number(m[3]) };
}

function contentLength(res: Opened): number | undefined {
  const v = header(res.headers, "content-length");
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

async function discard(res: Opened): Promise<void> {
  dropBody(res.body);
}

/**
 * Downloads `url` into `t.partial`. Returns "segment" instead when the size was unknown and the
 * response shows a large file on a server that takes Range (the caller switches to segments).
 */
export async function streamDownload(url: string, t: Target, ctx: RunCtx, allowSwitch: boolean): Promise<StreamResult> {
  try {
    return await streamOnce(url, t, ctx, true, allowSwitch);
  } catch (e) {
    // The partial could not be continued or did not add up: its bytes may come from another
    // mirror, so this URL is not to blame. Start over from zero on the same URL, once.
    if (!(e instanceof AttemptError) || e.kind !== "restart") throw e;
    restartWarning(ctx, t.id, e.message);
    return streamOnce(url, t, ctx, false, allowSwitch);
  }
}

/** Re-hashes the partial file; returns its usable length (0 when there is none or it is too long). */
async function rehashPartial(t: Target, hash: Hash, ctx: RunCtx): Promise<number> {
  const have = await fileSize(t.partial);
  if (have === 0) return 0;
  if (t.size !== undefined && have > t.size) {
    await rm(t.partial, { force: true });
    restartWarning(ctx, t.id, `the partial file has ${have} bytes, more than the ${t.size} expected`);
    return 0;
  }
  return hashRange(t.partial, hash, 0, have, ctx.signal);
}

/**
 * Checks the answer to `bytes=<have>-` (or to a plain GET): returns where the body starts in the
 * file (0 when the server ignored Range and sends everything), or throws what it means.
 */
async function bodyStart(url: string, res: Opened, have: number, t: Target): Promise<number> {
  if (res.status === 200) return 0;
  if (res.status === 206 && have > 0) {
    const cr = parseContentRange(header(res.headers, "content-range"));
    if (cr && cr.start === have && (t.size === undefined || cr.total === undefined || cr.total === t.size)) return have;
    await discard(res);
    throw new AttemptError("restart", url, `unexpected Content-Range "${header(res.headers, "content-range") ?? ""}" for bytes=${have}-`);
  }
  await discard(res);
  if (res.status === 416 && have > 0) throw new AttemptError("restart", url, "HTTP 416 for the rest of a partial download");
  throw statusError(url, res.status);
}

async function streamOnce(url: string, t: Target, ctx: RunCtx, resume: boolean, allowSwitch: boolean): Promise<StreamResult> {
  if (!resume) await rm(t.partial, { force: true });
  let hash = newHash();
  const have = await rehashPartial(t, hash, ctx);
  if (have > 0 && have === t.size) {
    // Finished before the last run could store it (killed between the last byte and the rename).
    const actual = { sha256: hash.digest("hex"), size: have };
    if (integrityProblem({ sha256: t.sha256, size: t.size }, actual)) throw new AttemptError("restart", url, "the complete-looking partial download did not match");
    return { kind: "done", actual };
  }
  const release = await ctx.session.hosts.acquire(url, ctx.perHost, ctx.signal);
  try {
    const res = await openUrl(url, { session: ctx.session, env: ctx.env, signal: ctx.signal, timeouts: ctx.timeouts, headers: have > 0 ? { range: `bytes=${have}-` } : {} });
    const start = await bodyStart(url, res, have, t);
    if (start === 0 && have > 0) {
      hash = newHash(); // Range ignored: the body is the whole file
      restartWarning(ctx, t.id, `${url} ignores Range requests (it answered bytes=${have}- with the whole file)`);
    }
    const len = contentLength(res);
    const total = len === undefined ? undefined : start + len;
    if (t.size !== undefined && total !== undefined && total !== t.size) {
      await discard(res);
      throw new AttemptError("integrity", url, `size mismatch: expected ${t.size} bytes, the server announces ${total}`);
    }
    if (allowSwitch && start === 0 && t.size === undefined && total !== undefined && total > ctx.segmentThreshold && header(res.headers, "accept-ranges") === "bytes") {
      await discard(res);
      return { kind: "segment", size: total };
    }
    ctx.emit({ type: "download:start", id: t.id, url, ...(total !== undefined ? { total } : {}), ...(start > 0 ? { resumeFrom: start } : {}) });
    const actual = await receive(url, res, t, ctx, hash, start, total);
    const problem = integrityProblem({ sha256: t.sha256, size: t.size }, actual);
    if (problem) {
      await rm(t.partial, { force: true });
      if (start > 0) throw new AttemptError("restart", url, `the resumed download did not match (${problem})`);
      throw new AttemptError("integrity", url, problem);
    }
    return { kind: "done", actual };
  } catch (e) {
    if (isAbort(e, ctx.signal)) throw e;
    throw toAttemptError(e, url);
  } finally {
    release();
  }
}

/**
 * Writes the body onto the partial file from `start` (hashing and counting it). On a failure,
 * every byte that arrived is written before the error goes on, so the next mirror or run resumes
 * exactly after it.
 */
async function receive(url: string, res: Opened, t: Target, ctx: RunCtx, hash: Hash, start: number, total: number | undefined): Promise<Actual> {
  const report = progressReporter(ctx.emit, t.id, total);
  const limit = t.size ?? total;
  const fh = await open(t.partial, start > 0 ? "r+" : "w");
  let pos = start;
  const batch = new WriteBatch();
  const flush = async () => {
    if (!batch.len) return;
    const n = batch.len;
    await writeAllAt(fh, batch.take(), pos);
    pos += n;
    report(pos);
  };
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      const next = pos + batch.len + chunk.length;
      if (limit !== undefined && next > limit) throw new TooLargeError(limit, next);
      hash.update(chunk);
      batch.add(chunk);
      if (batch.due) await flush();
    }
    await flush();
  } catch (e) {
    if (!(e instanceof TooLargeError)) await flush().catch(() => {});
    await fh.close().catch(() => {});
    if (isAbort(e, ctx.signal)) throw e;
    const a = toAttemptError(e, url, pos - start);
    if (a.kind === "integrity") await rm(t.partial, { force: true }); // too many bytes: nothing to keep
    throw a; // a network failure keeps the partial for the next mirror or run
  }
  await fh.close();
  report(pos, true);
  if (total !== undefined && pos < total) throw new AttemptError("transient", url, `truncated body: ${pos} of ${total} bytes`);
  return { sha256: hash.digest("hex"), size: pos };
}
