// Error classification where errors arise. Every failed attempt on one URL
// becomes an AttemptError with one of these kinds, and the mirror loop (mirrors.ts) alone decides
// what to do with it:
//
//   not-found  404/410                         → next mirror at once; not asked again this run
//   refused    other 4xx, bad redirect         → next mirror at once; not asked again this run
//   transient  5xx/408/429, reset, timeout,    → next mirror; after a whole round, back off and
//              truncated body                    try another round (p-retry), up to `rounds`
//   integrity  sha256/size mismatch            → next mirror; never retried on that URL, never cached
//   range      the server ignores Range        → segmented download falls back to one connection
//   restart    a resumed partial cannot be     → the caller starts over from zero on the same URL
//              continued or did not add up       (its bytes may have come from another mirror)

import { describeError } from "../core/errors.ts";
import { TooLargeError } from "../integrity/sha256.ts";

export type OutcomeKind = "not-found" | "refused" | "transient" | "integrity" | "range" | "restart";

export class AttemptError extends Error {
  readonly kind: OutcomeKind;
  readonly url: string;
  readonly status: number | undefined;

  constructor(kind: OutcomeKind, url: string, reason: string, opts: { status?: number; cause?: unknown } = {}) {
    super(reason, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "AttemptError";
    this.kind = kind;
    this.url = url;
    this.status = opts.status;
  }
}

/** The outcome of an HTTP status that is not the one we asked for. */
export function statusKind(status: number): OutcomeKind {
  if (status === 404 || status === 410) return "not-found";
  if (status === 408 || status === 425 || status === 429 || status >= 500) return "transient";
  return "refused";
}

export function statusError(url: string, status: number): AttemptError {
  return new AttemptError(statusKind(status), url, `HTTP ${status}`, { status });
}

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT", "ETIMEDOUT"]);
/** What each timeout means for the user: a server that never answers is not a slow download. */
const TIMEOUT_WORDS: Record<string, string> = {
  UND_ERR_HEADERS_TIMEOUT: "timed out: the server accepted the connection but never answered",
  UND_ERR_BODY_TIMEOUT: "timed out: the download stalled (no bytes for too long)",
  UND_ERR_CONNECT_TIMEOUT: "timed out while connecting",
};

/** Whether `e` is an attempt that ended because the server did not answer in time. */
export function isTimeout(e: unknown): e is AttemptError {
  return e instanceof AttemptError && TIMEOUT_CODES.has((e.cause as NodeJS.ErrnoException | undefined)?.code ?? "");
}

/** Whether `e` is the caller's cancellation (Ctrl+C), which is never a mirror's fault. */
export function isAbort(e: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  const name = (e as Error | undefined)?.name;
  return name === "AbortError" || (e as NodeJS.ErrnoException | undefined)?.code === "ABORT_ERR";
}

/** Classifies anything thrown while talking to `url` (bytes: how many had arrived, for the message). */
export function toAttemptError(e: unknown, url: string, bytes?: number): AttemptError {
  if (e instanceof AttemptError) return e;
  if (e instanceof TooLargeError) return new AttemptError("integrity", url, e.message, { cause: e });
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? "";
  const after = bytes ? ` after ${bytes} bytes` : "";
  if (TIMEOUT_CODES.has(code)) return new AttemptError("transient", url, `${TIMEOUT_WORDS[code] ?? "timed out"}${after} (${code})`, { cause: e });
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET" || code === "EPIPE") return new AttemptError("transient", url, `connection reset${after}`, { cause: e });
  if (code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH") return new AttemptError("transient", url, `truncated body${after}`, { cause: e });
  if (code === "ECONNREFUSED") return new AttemptError("transient", url, "connection refused", { cause: e });
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new AttemptError("transient", url, `host not found (${code})`, { cause: e });
  const tls = tlsReason(code);
  if (tls) return new AttemptError("refused", url, tls, { cause: e });
  if (code === "UND_ERR_INVALID_ARG" || e instanceof TypeError) return new AttemptError("refused", url, oneLine(describeError(e)), { cause: e });
  return new AttemptError("transient", url, `${oneLine(describeError(e))}${after}`, { cause: e });
}

// TLS failures do not heal by retrying the same URL: say what they mean instead of OpenSSL's
// multi-line text (wrong version number = an https:// URL at a port that speaks plain HTTP).
const CERT_CODES = new Set(["CERT_HAS_EXPIRED", "DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "ERR_TLS_CERT_ALTNAME_INVALID", "CERT_NOT_YET_VALID"]);

function tlsReason(code: string): string | undefined {
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "ERR_SSL_PACKET_LENGTH_TOO_LONG" || code === "EPROTO") return `TLS handshake failed (${code}): the server does not speak HTTPS there; is the mirror an http:// URL?`;
  if (CERT_CODES.has(code)) return `TLS certificate not accepted (${code}); a proxy that rewrites certificates needs NODE_EXTRA_CA_CERTS`;
  if (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_")) return `TLS failed (${code})`;
  return undefined;
}

/** The first line of an error text: an attempt is listed on one line. */
function oneLine(text: string): string {
  const first = text.split("\n")[0]!.trim();
  return first.length > 200 ? `${first.slice(0, 199)}…` : first;
}

/** One try of one URL, as the final error lists it. */
export interface Attempt {
  url: string;
  round: number;
  kind: OutcomeKind;
  reason: string;
}

/** Per URL, what happened, in the order the URLs were first tried ("HTTP 503 ×3; connection reset"). */
export function summarizeAttempts(attempts: readonly Attempt[]): { url: string; what: string }[] {
  const byUrl = new Map<string, string[]>();
  for (const a of attempts) {
    const list = byUrl.get(a.url) ?? [];
    list.push(a.reason);
    byUrl.set(a.url, list);
  }
  return [...byUrl].map(([url, reasons]) => {
    const counts: [string, number][] = [];
    for (const r of reasons) {
      const last = counts[counts.length - 1];
      if (last && last[0] === r) last[1]++;
      else counts.push([r, 1]);
    }
    return { url, what: counts.map(([r, n]) => (n > 1 ? `${r} ×${n}` : r)).join("; ") };
  });
}
