// One pinned artifact into the cache: cache hit → done; otherwise take the digest's lock (another
// process may be fetching it: wait, then use its blob), try the mirrors, commit the verified
// partial by rename, record which URL served it.

import { rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { BundleError } from "../core/errors.ts";
import { isSha256, type Actual } from "../integrity/sha256.ts";
import { restartWarning, type RunCtx } from "./context.ts";
import { linkedSize } from "./hf.ts";
import { tryMirrors } from "./mirrors.ts";
import { AttemptError } from "./outcome.ts";
import { segmentedDownload } from "./segmented.ts";
import { sidecarSize } from "./sidecar.ts";
import { streamDownload, type Target } from "./stream.ts";
import type { Fetched, FetchRequest } from "./types.ts";

export function label(req: FetchRequest): string {
  return `${req.id} (sha256 ${req.sha256.slice(0, 12)}…)`;
}

/** The cached blob for `req`, if present (a use is recorded). */
export async function cachedHit(req: FetchRequest, ctx: RunCtx): Promise<Fetched | undefined> {
  const sha256 = req.sha256.toLowerCase();
  const got = await ctx.cache.check(sha256, req.size);
  if (!got.ok) {
    // A changed blob is evicted and fetched again; say so, since it points at a disk or a tool writing into the cache.
    if (got.evicted) ctx.emit({ type: "warning", message: `${req.id}: ${got.evicted}; downloading it again`, hint: "run `bundle cache verify` to re-hash the whole cache" });
    return undefined;
  }
  const size = req.size ?? got.size;
  const url = got.meta?.url ?? req.urls[0] ?? "";
  if (req.key) await ctx.cache.record(req.key, sha256);
  ctx.emit({ type: "download:done", id: req.id, url, bytes: size, cached: true });
  return { id: req.id, path: ctx.cache.blobPath(sha256), sha256, size, url, cached: true };
}

export async function fetchPinned(req: FetchRequest, ctx: RunCtx): Promise<Fetched> {
  if (!isSha256(req.sha256.toLowerCase())) {
    throw new BundleError("INTEGRITY", `${req.id}: "${req.sha256}" is not a sha256 digest`, { hint: "a sha256 is 64 hexadecimal characters; run `bundle lock` to pin it" });
  }
  const hit = await cachedHit(req, ctx);
  if (hit) return hit;
  const flight = `${ctx.cache.dir}\0${req.sha256.toLowerCase()}`;
  let p = ctx.session.inflight.get(flight);
  if (!p) {
    p = download(req, ctx).finally(() => ctx.session.inflight.delete(flight));
    ctx.session.inflight.set(flight, p);
    return p;
  }
  const f = await p;
  ctx.emit({ type: "download:done", id: req.id, url: f.url, bytes: f.size, cached: true });
  return { ...f, id: req.id, cached: true };
}

async function download(req: FetchRequest, ctx: RunCtx): Promise<Fetched> {
  const sha256 = req.sha256.toLowerCase();
  const lock = await ctx.cache.lock(sha256, {
    signal: ctx.signal,
    isDone: () => ctx.cache.has(sha256, req.size),
    onWait: (h) => ctx.emit({ type: "info", message: `${req.id}: another greenbundle process${h ? ` (pid ${h.pid})` : ""} is downloading it; waiting` }),
  });
  if (lock === "done") return (await cachedHit(req, ctx))!;
  try {
    const again = await cachedHit(req, ctx);
    if (again) return again;
    await ctx.cache.ensureDir(dirname(ctx.cache.partialPath(sha256)));
    const { value: actual, url } = await ctx.slots.run(() => tryMirrors(req.id, label(req), req.urls, ctx, (u) => downloadVia(u, req, ctx)), ctx.signal);
    const path = await ctx.cache.commit(ctx.cache.partialPath(sha256), actual, { url, key: req.key });
    if (actual.segmented) await rm(ctx.cache.segmentsPath(sha256), { force: true });
    ctx.emit({ type: "download:done", id: req.id, url, bytes: actual.size, cached: false });
    return { id: req.id, path, sha256, size: actual.size, url, cached: false };
  } catch (e) {
    ctx.emit({ type: "download:failed", id: req.id, reason: e instanceof Error ? e.message.split("\n")[0]! : String(e) });
    throw e;
  } finally {
    await lock.release();
  }
}

const exists = (p: string) => stat(p).then(() => true, () => false);

/** Downloads from one URL into the digest's partial file: segmented when large, one stream otherwise. */
async function downloadVia(url: string, req: FetchRequest, ctx: RunCtx): Promise<Actual & { segmented: boolean }> {
  const sha256 = req.sha256.toLowerCase();
  const partial = ctx.cache.partialPath(sha256);
  const state = ctx.cache.segmentsPath(sha256);
  // Without a size in the request, a segmented partial's sidecar knows it: resuming through one
  // connection would ask for bytes past its (preallocated) end, and lose every piece.
  const size = req.size ?? (await sidecarSize(partial, state, sha256)) ?? (await linkedSize(url, sha256, ctx));
  const t: Target = { id: req.id, sha256, size, partial };
  const segmentable = ctx.segments > 1;
  const large = size !== undefined && segmentable && size > ctx.segmentThreshold;
  // A segment state only exists beside a partial file: look for it only then.
  if (size !== undefined && size > 0 && (large || ((await exists(t.partial)) && (await exists(state))))) {
    return { ...(await segmentsOrStream(url, { ...t, size }, state, ctx)), segmented: true };
  }
  const r = await streamDownload(url, t, ctx, segmentable);
  if (r.kind === "done") return { ...r.actual, segmented: false };
  return { ...(await segmentsOrStream(url, { ...t, size: r.size }, state, ctx)), segmented: true };
}

async function segmentsOrStream(url: string, t: Target & { size: number }, state: string, ctx: RunCtx): Promise<Actual> {
  for (let tries = 0; ; tries++) {
    try {
      return await segmentedDownload(url, { ...t, state }, ctx);
    } catch (e) {
      if (!(e instanceof AttemptError) || (e.kind !== "range" && e.kind !== "restart")) throw e;
      const had = await stat(t.partial).then((s) => s.size > 0, () => false);
      await rm(t.partial, { force: true });
      await rm(state, { force: true });
      if (had) restartWarning(ctx, t.id, e.kind === "range" ? `${url} does not answer Range requests, so the pieces cannot be continued (${e.message})` : e.message);
      if (e.kind === "restart" && tries === 0) continue;
      // The server does not do ranges: one connection, from zero.
      const r = await streamDownload(url, t, ctx, false);
      if (r.kind === "done") return r.actual;
      throw new AttemptError("transient", url, "unexpected switch to segments");
    }
  }
}
