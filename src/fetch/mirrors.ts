// The retry policy, in one place, for file downloads and git fetches alike (uv's client does the
// same): try every
// candidate in order (demoted mirrors last), then back off and go round again, up to `rounds`.
// What each outcome means is in outcome.ts. The error after giving up names every URL and what
// each did, and says whether another mirror could help (a hash mismatch cannot be cured by retrying).

import { BundleError, interrupted } from "../core/errors.ts";
import type { Emit } from "../core/events.ts";
import { isAbort, summarizeAttempts, toAttemptError, type Attempt } from "./outcome.ts";
import type { FetchSession } from "./session.ts";

class RoundFailed extends Error {}

/** What the policy needs from its caller, whatever the transport (HTTP downloads, git fetches). */
export interface MirrorPolicy {
  /** Run-wide state: mirror order and demotions. */
  session: FetchSession;
  emit: Emit;
  signal: AbortSignal | undefined;
  /** Rounds over the whole mirror list before giving up. */
  rounds: number;
  /** Backoff between rounds (p-retry): first delay, cap, growth factor. */
  backoff: { minMs: number; maxMs: number; factor: number };
}

export interface MirrorOptions {
  /** The error after every mirror and round failed (default: gaveUp). */
  giveUp?: (attempts: readonly Attempt[], rounds: number) => BundleError;
}

/**
 * Tries `fn` on each candidate URL until one succeeds. `label` names the thing in messages. `fn`
 * throws an AttemptError (outcome.ts) saying what the failure means; anything else it throws is
 * classified as an HTTP failure, and a BundleError ends the whole attempt at once.
 */
export async function tryMirrors<T>(id: string, label: string, urls: readonly string[], ctx: MirrorPolicy, fn: (url: string) => Promise<T>, opts: MirrorOptions = {}): Promise<{ value: T; url: string; attempts: Attempt[] }> {
  if (urls.length === 0) throw new BundleError("NETWORK", `no URL to download ${label} from`, { hint: "give it a url (or a mirror:// list with at least one base URL) in the recipe" });
  const { default: pRetry, AbortError } = await import("p-retry");
  const attempts: Attempt[] = [];
  const excluded = new Set<string>(); // URLs never asked again: 404, refused, wrong bytes
  let round = 0;
  const runRound = async () => {
    round++;
    let prev: Attempt | undefined;
    for (const url of ctx.session.order(urls).filter((u) => !excluded.has(u))) {
      if (prev) ctx.emit({ type: "download:mirror", id, from: prev.url, to: url, reason: prev.reason });
      try {
        return { value: await fn(url), url, attempts };
      } catch (e) {
        if (isAbort(e, ctx.signal)) throw new AbortError(e instanceof Error ? e : String(e));
        if (e instanceof BundleError) throw new AbortError(e);
        const a = toAttemptError(e, url);
        prev = { url, round, kind: a.kind, reason: a.message };
        attempts.push(prev);
        if (a.kind !== "transient") excluded.add(url);
        if (a.kind === "transient" || a.kind === "integrity") ctx.session.demote(url);
      }
    }
    if (urls.every((u) => excluded.has(u))) throw new AbortError(new RoundFailed("no mirror left to try"));
    throw new RoundFailed(prev?.reason ?? "every mirror failed");
  };
  try {
    return await pRetry(runRound, {
      retries: Math.max(0, ctx.rounds - 1),
      minTimeout: ctx.backoff.minMs,
      maxTimeout: ctx.backoff.maxMs,
      factor: ctx.backoff.factor,
      randomize: true,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onFailedAttempt: ({ error, attemptNumber, retriesLeft, retryDelay }) => {
        if (retriesLeft > 0) ctx.emit({ type: "download:retry", id, attempt: attemptNumber + 1, delayMs: retryDelay, reason: `every mirror failed (${error.message})` });
      },
    });
  } catch (e) {
    if (ctx.signal?.aborted) throw interrupted(ctx.signal.reason ?? e);
    if (e instanceof BundleError) throw e;
    if (!(e instanceof RoundFailed)) throw e;
    throw opts.giveUp ? opts.giveUp(attempts, round) : gaveUp(id, label, attempts, round);
  }
}

/** The error after every mirror and round failed: every URL and what it did, and what to do. */
export function gaveUp(id: string, label: string, attempts: readonly Attempt[], rounds: number): BundleError {
  const integrity = attempts.some((a) => a.kind === "integrity");
  const allMissing = attempts.every((a) => a.kind === "not-found");
  const lines = summarizeAttempts(attempts).map(({ url, what }) => `  ${url}: ${what}`);
  const why = integrity ? "no mirror served the expected bytes" : allMissing ? "no mirror has it" : `every mirror failed${rounds > 1 ? ` (${rounds} rounds)` : ""}`;
  const hint = integrity
    ? "the bytes differ from the expected sha256 (from the recipe, the lock or the index page): retrying cannot help. Check that hash (it may be wrong, or the file changed upstream); a mirror serving other bytes is never used"
    : allMissing
      ? "check the path in the recipe, or add a mirror that has this file"
      : "check the network or proxy (HTTPS_PROXY, NO_PROXY), or add a mirror; partial downloads are kept and the next run resumes";
  return new BundleError(integrity ? "INTEGRITY" : "NETWORK", `could not download ${label}: ${why}\n${lines.join("\n")}`, {
    hint,
    details: { id, attempts: attempts.map((a) => ({ ...a })), ...(allMissing ? { notFound: true } : {}) },
  });
}
