// Segmented download of one large file: several ranged connections write into one preallocated
// partial file, resumable per piece through a small sidecar (sidecar.ts), hashed in order while
// the rest is still arriving (how aria2c users beat per-connection caps).
// All connections use the same URL: the final digest then proves that mirror's bytes, and a
// mismatch is attributable (mixing mirrors inside one file would make it ambiguous). Another
// mirror can continue the same pieces in a later attempt.

import { constants } from "node:fs";
import { open, rm, type FileHandle } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { integrityProblem, newHash, type Actual } from "../integrity/sha256.ts";
import { progressReporter, restartWarning, type RunCtx } from "./context.ts";
import { dropBody, header, openUrl } from "./http.ts";
import { AttemptError, isAbort, statusError, toAttemptError } from "./outcome.ts";
import { claim, contiguousEnd, doneBytes, pieceSizeFor, steal, type Piece } from "./pieces.ts";
import { loadPieces, SidecarWriter } from "./sidecar.ts";
import { parseContentRange, type Target } from "./stream.ts";
import { clip, WriteBatch, writeAllAt } from "./write.ts";

const MIN_STEAL = 1 << 20;
const HASH_STEP = 1 << 20;
const READ_BUF = 4 << 20;
/** Consecutive failures of one piece without progress before the attempt gives up on this URL. */
const PIECE_RETRIES = 4;

/** Called after each write: n bytes at `at` (the buffers, for hashing in stream when they are next in order). */
type OnBytes = (n: number, at: number, bufs: Buffer[]) => void;

export interface SegmentTarget extends Target {
  size: number;
  /** Path of the sidecar state file. */
  state: string;
  /** Override of the piece size (tests). */
  pieceSize?: number | undefined;
}

/** Hashes the finished prefix of the file, in order, one read at a time. */
function inOrderHasher(fh: FileHandle, pieces: Piece[], signal: AbortSignal) {
  const hash = newHash();
  const buf = Buffer.allocUnsafe(READ_BUF);
  let hashed = 0;
  let running: Promise<void> | undefined;
  let again = false;
  const run = async (final: boolean) => {
    do {
      again = false;
      const end = contiguousEnd(pieces);
      while (end - hashed >= (final ? 1 : HASH_STEP)) {
        signal.throwIfAborted();
        const n = Math.min(buf.length, end - hashed);
        const { bytesRead } = await fh.read(buf, 0, n, hashed);
        if (bytesRead <= 0) throw new Error(`short read at ${hashed}`);
        hash.update(buf.subarray(0, bytesRead));
        hashed += bytesRead;
      }
    } while (again);
  };
  const pump = (final = false): Promise<void> => {
    if (running) {
      again = true;
      return running.then(() => (final ? pump(true) : undefined));
    }
    running = run(final).finally(() => (running = undefined));
    return running;
  };
  /** Hashes bytes just written when they are exactly next in order (most of the front-runner's bytes), sparing a read. */
  const offer = (at: number, bufs: Buffer[]) => {
    if (running || at !== hashed) return;
    for (const b of bufs) {
      hash.update(b);
      hashed += b.length;
    }
  };
  return { pump, offer, digest: () => ({ sha256: hash.digest("hex"), size: hashed }) };
}

export async function segmentedDownload(url: string, t: SegmentTarget, ctx: RunCtx): Promise<Actual> {
  const { pieces, discarded } = await loadPieces(t.partial, t.state, t.sha256, t.size, t.pieceSize ?? pieceSizeFor(t.size, ctx.segments));
  if (discarded) restartWarning(ctx, t.id, discarded);
  const resumedFrom = doneBytes(pieces);
  const sidecar = new SidecarWriter(t.state, t.sha256, t.size, pieces);
  sidecar.save(); // before the file grows holes: a partial without a sidecar is always a plain prefix
  const fh = await open(t.partial, constants.O_RDWR | constants.O_CREAT, 0o644);
  const stop = new AbortController();
  const onAbort = () => stop.abort(ctx.signal?.reason);
  ctx.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if ((await fh.stat()).size !== t.size) await fh.truncate(t.size);
    const hasher = inOrderHasher(fh, pieces, stop.signal);
    ctx.emit({ type: "download:start", id: t.id, url, total: t.size, ...(resumedFrom > 0 ? { resumeFrom: resumedFrom } : {}) });
    const report = progressReporter(ctx.emit, t.id, t.size);
    let done = resumedFrom;
    const onBytes: OnBytes = (n, at, bufs) => {
      done += n;
      sidecar.wrote(n);
      report(done);
      hasher.offer(at, bufs);
      void hasher.pump().catch(() => {});
    };
    await runConnections(url, t, ctx, fh, pieces, stop, onBytes);
    await hasher.pump(true);
    report(done, true);
    const actual = hasher.digest();
    const problem = integrityProblem({ sha256: t.sha256, size: t.size }, actual);
    if (problem) {
      await fh.close().catch(() => {});
      await rm(t.partial, { force: true });
      await rm(t.state, { force: true });
      if (resumedFrom > 0) throw new AttemptError("restart", url, `the resumed download did not match (${problem})`);
      throw new AttemptError("integrity", url, problem);
    }
    return actual;
  } catch (e) {
    if (isAbort(e, ctx.signal)) throw e;
    throw toAttemptError(e, url);
  } finally {
    ctx.signal?.removeEventListener("abort", onAbort);
    await fh.close().catch(() => {});
    sidecar.close(t.partial);
  }
}

/** `ctx.segments` connections take pieces until none is left; the first failure stops them all. */
async function runConnections(url: string, t: SegmentTarget, ctx: RunCtx, fh: FileHandle, pieces: Piece[], stop: AbortController, onBytes: OnBytes): Promise<void> {
  let failure: unknown;
  const worker = async (w: number) => {
    const release = await ctx.session.hosts.acquire(url, ctx.perHost, stop.signal);
    try {
      for (;;) {
        const piece = claim(pieces, w) ?? steal(pieces, w, MIN_STEAL);
        if (!piece) return;
        await fetchPiece(url, piece, t, ctx, fh, stop.signal, onBytes);
        piece.owner = undefined;
      }
    } catch (e) {
      failure ??= e;
      stop.abort(e);
    } finally {
      release();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, ctx.segments) }, (_, w) => worker(w).catch((e: unknown) => (failure ??= e))));
  if (failure !== undefined) throw failure;
}

/** Fetches one piece, continuing from where a reset connection stopped. */
async function fetchPiece(url: string, piece: Piece, t: SegmentTarget, ctx: RunCtx, fh: FileHandle, signal: AbortSignal, onBytes: OnBytes): Promise<void> {
  let failures = 0;
  while (piece.pos < piece.end) {
    const before = piece.pos;
    try {
      await requestPiece(url, piece, t, ctx, fh, signal, onBytes);
    } catch (e) {
      if (isAbort(e, signal)) throw e;
      const a = toAttemptError(e, url);
      if (a.kind !== "transient") throw a;
      failures = piece.pos > before ? 1 : failures + 1;
      if (failures > PIECE_RETRIES) throw a;
      await sleep(Math.min(ctx.backoff.minMs * 2 ** (failures - 1), 5000), undefined, { signal });
    }
  }
}

async function requestPiece(url: string, piece: Piece, t: SegmentTarget, ctx: RunCtx, fh: FileHandle, signal: AbortSignal, onBytes: OnBytes): Promise<void> {
  const from = piece.pos;
  const res = await openUrl(url, { session: ctx.session, env: ctx.env, signal, timeouts: ctx.timeouts, headers: { range: `bytes=${from}-${piece.end - 1}` } });
  if (res.status !== 206) {
    dropBody(res.body);
    if (res.status === 200) throw new AttemptError("range", url, "the server ignores Range");
    throw statusError(url, res.status);
  }
  const cr = parseContentRange(header(res.headers, "content-range"));
  if (!cr || cr.start !== from || (cr.total !== undefined && cr.total !== t.size)) {
    dropBody(res.body);
    throw new AttemptError(cr && cr.total !== undefined && cr.total !== t.size ? "integrity" : "range", url, `unexpected Content-Range "${header(res.headers, "content-range") ?? ""}" for bytes=${from}-${piece.end - 1}`);
  }
  // Chunks are gathered into batched writes (write.ts). Bytes received but not yet written count
  // as `writing`, so that a steal never splits below them.
  const batch = new WriteBatch();
  const flush = async () => {
    const n = Math.min(batch.len, piece.end - piece.pos);
    const bufs = clip(batch.take(), n);
    if (n <= 0) return;
    const at = piece.pos;
    await writeAllAt(fh, bufs, at);
    piece.pos = at + n;
    onBytes(n, at, bufs);
  };
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      const room = piece.end - piece.pos - batch.len; // the end moves down when another connection takes the tail
      if (room <= 0) break;
      batch.add(chunk.length > room ? chunk.subarray(0, room) : chunk);
      piece.writing = piece.pos + batch.len;
      if (batch.due || piece.pos + batch.len >= piece.end) await flush();
      if (piece.pos >= piece.end) break;
    }
    await flush();
  } catch (e) {
    await flush().catch(() => {}); // keep what arrived before the failure
    throw toAttemptError(e, url, piece.pos - from);
  } finally {
    piece.writing = undefined;
  }
  if (piece.pos < piece.end) throw new AttemptError("transient", url, `connection closed after ${piece.pos - from} of ${piece.end - from} bytes`);
}
