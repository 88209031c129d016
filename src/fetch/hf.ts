// Hugging Face style file URLs (`…/resolve/<rev>/<file>`): a HEAD without following redirects
// answers with X-Linked-Size and X-Linked-Etag (the sha256 of LFS files; hf-mirror.com answers the
// same). When the recipe gives no size this learns it cheaply (so a checkpoint can be
// fetched in segments) and skips, without downloading gigabytes, a mirror that announces another
// file. Any trouble with the HEAD is ignored: the GET decides — except a timeout: a server that
// lets the HEAD hang would let the GET hang as long, doubling every round's wait for nothing.

import { AttemptError, isTimeout } from "./outcome.ts";
import type { RunCtx } from "./context.ts";
import { dropBody, header, openUrl } from "./http.ts";

export function looksLikeHuggingFace(url: string): boolean {
  try {
    return /\/resolve\/[^/]+\/./.test(new URL(url).pathname);
  } catch {
    return false;
  }
}

/** The size the mirror announces for a HF-style URL; throws `integrity` when it announces another digest. */
export async function linkedSize(url: string, sha256: string, ctx: RunCtx): Promise<number | undefined> {
  if (!looksLikeHuggingFace(url)) return undefined;
  let res;
  try {
    res = await openUrl(url, { session: ctx.session, env: ctx.env, method: "HEAD", noRedirect: true, signal: ctx.signal, timeouts: ctx.timeouts });
    dropBody(res.body);
  } catch (e) {
    if (isTimeout(e)) throw e;
    return undefined;
  }
  const etag = header(res.headers, "x-linked-etag")?.replace(/^W\//, "").replace(/"/g, "").toLowerCase();
  if (etag && /^[0-9a-f]{64}$/.test(etag) && etag !== sha256) {
    throw new AttemptError("integrity", url, `sha256 mismatch: the mirror announces ${etag} (X-Linked-Etag), expected ${sha256}`);
  }
  const size = header(res.headers, "x-linked-size");
  return size && /^\d+$/.test(size) ? Number(size) : undefined;
}
