// The fetch engine's public API. Every later stage gets its bytes through here.

import { BundleError, describeError, interrupted } from "../core/errors.ts";
import { cachedHit, fetchPinned } from "./artifact.ts";
import { runCtx, type RunCtx } from "./context.ts";
import { Semaphore } from "./limits.ts";
import type { Fetched, FetchOptions, FetchRequest } from "./types.ts";

export type { Fetched, FetchOptions, FetchRequest } from "./types.ts";
export { fetchUnpinned, getDocument, readRange, type Document, type SmallRequestOptions } from "./unpinned.ts";
export { FetchSession, currentSession, proxyEnv, withSession } from "./session.ts";
export { DEFAULTS as FETCH_DEFAULTS } from "./context.ts";

/**
 * Brings every request into the cache, verified; returns them by id. Largest first (the longest
 * download should not start last), at most `jobs` downloads at a time. Cache checks, locks and
 * commits run outside those slots (up to twice as many files are in progress), so a slot never
 * waits on bookkeeping: with hundreds of small files that bookkeeping is a good part of the time.
 * Everything that can be fetched is fetched before failing; the error then lists each artifact
 * that failed, every URL tried and what each did.
 */
export async function fetchAll(reqs: FetchRequest[], opts: FetchOptions): Promise<Map<string, Fetched>> {
  const ctx = runCtx(opts);
  const got = new Map<string, Fetched>();
  if (ctx.offline) await offlineAll(reqs, ctx, got);
  else {
    if (reqs.length) {
      // Loading the HTTP client costs ~0.1 s of compiling on a slow machine; started now, it
      // overlaps the cache checks and locks instead of delaying the first request after them.
      void ctx.session.dispatcher(ctx.env).catch(() => {});
      void import("p-retry").catch(() => {});
      await ctx.cache.prepare();
    }
    const order = [...reqs].sort((a, b) => (b.size ?? 0) - (a.size ?? 0));
    const sem = new Semaphore(ctx.jobs * 2);
    const failures: { req: FetchRequest; error: unknown }[] = [];
    await Promise.all(
      order.map(async (req) => {
        try {
          got.set(req.id, await sem.run(() => fetchPinned(req, ctx), ctx.signal));
        } catch (error) {
          failures.push({ req, error });
        }
      }),
    );
    if (ctx.signal?.aborted) throw interrupted(ctx.signal.reason);
    if (failures.length) throw combined(failures, reqs.length, ctx.cache.dir);
  }
  return new Map(reqs.filter((r) => got.has(r.id)).map((r) => [r.id, got.get(r.id)!]));
}

export async function fetchOne(req: FetchRequest, opts: FetchOptions): Promise<Fetched> {
  return (await fetchAll([req], opts)).get(req.id)!;
}

async function offlineAll(reqs: FetchRequest[], ctx: RunCtx, got: Map<string, Fetched>): Promise<void> {
  const missing: FetchRequest[] = [];
  for (const req of reqs) {
    const hit = await cachedHit(req, ctx);
    if (hit) got.set(req.id, hit);
    else missing.push(req);
  }
  if (!missing.length) return;
  const lines = missing.map((r) => `  ${r.id}: sha256 ${r.sha256}${r.size !== undefined ? `, ${r.size} bytes` : ""}${r.urls[0] ? ` (from ${r.urls[0]})` : ""}`);
  throw new BundleError("OFFLINE_MISSING", `--offline: ${missing.length} of ${reqs.length} artifact(s) are not in the cache ${ctx.cache.dir}\n${lines.join("\n")}`, {
    hint: "run `bundle fetch <recipe>` once with network access (or point --cache at a filled cache folder), then build offline",
    details: { missing: missing.map((r) => ({ id: r.id, sha256: r.sha256, size: r.size, urls: r.urls })) },
  });
}

/** A failure that is not a BundleError comes from the local disk (the network's are classified where they arise). */
function asBundleError(req: FetchRequest, e: unknown, cacheDir: string): BundleError {
  if (e instanceof BundleError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return new BundleError("IO", `${req.id}: ${describeError(e)}`, {
    hint: code === "ENOSPC" ? `the disk of ${cacheDir} is full: free some space and run again (finished downloads are kept)` : `check the cache folder ${cacheDir} (free space, permissions)`,
    cause: e,
  });
}

function combined(failures: { req: FetchRequest; error: unknown }[], total: number, cacheDir: string): unknown {
  if (failures.length === 1) return asBundleError(failures[0]!.req, failures[0]!.error, cacheDir);
  const errs = failures.map((f) => asBundleError(f.req, f.error, cacheDir));
  const code = errs.some((e) => e.code === "INTEGRITY") ? "INTEGRITY" : errs.find((e) => e.code !== "INTERRUPTED")?.code ?? "NETWORK";
  const hints = [...new Set(errs.map((e) => e.hint).filter((h): h is string => !!h))];
  return new BundleError(code, `${failures.length} of ${total} downloads failed:\n${errs.map((e) => `- ${e.message}`).join("\n")}`, {
    hint: hints.join("\n      "),
    details: { failures: errs.map((e) => ({ code: e.code, message: e.message, ...e.details })) },
  });
}
