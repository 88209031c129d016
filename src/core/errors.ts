// One error class with a closed set of codes. Every failure a user can act on
// is a BundleError: a message that says what failed and where, a hint that says what to do, and
// the cause kept for --verbose. Anything else reaching the CLI is an internal bug.

/** The closed set of error codes and the exit code each maps to: 1 the operation failed, 2 bad usage or recipe, 130 interrupted. */
export const ERROR_CODES = {
  USAGE: 2, // bad command line
  RECIPE: 2, // invalid recipe (carries diagnostics with file:line:column)
  NETWORK: 1, // every mirror failed for a download
  INTEGRITY: 1, // bytes did not match the expected sha256/size
  OFFLINE_MISSING: 1, // --offline and something is not in the cache
  NOT_LOCKED: 1, // no usable lock where one is needed (a "lock" hash never locked, --offline with a stale lock)
  LOCK_REQUIRED: 2, // --locked, and the lock is missing, stale or incomplete (nothing was downloaded or written)
  RESOLVE: 1, // no wheel fits, closure incomplete
  GIT: 1, // a repository or commit could not be fetched/placed
  ARCHIVE: 1, // unsafe or corrupt archive
  BUILD: 1, // a build step failed (sdist build, pkg, lint errors)
  IO: 1, // filesystem trouble
  VERIFY: 1, // bundle verification failed
  CACHE: 1, // cache corruption or lock trouble
  INTERRUPTED: 130, // Ctrl+C
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A position in a source file, 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** One problem found in a recipe. `path` is the key path in the recipe ("repos[2].commit"). */
export interface Diagnostic extends SourcePos {
  path: string;
  message: string;
  hint?: string;
  severity?: "error" | "warning";
}

export interface BundleErrorOptions {
  hint?: string;
  cause?: unknown;
  diagnostics?: Diagnostic[];
  /** Extra structured facts (URLs tried, paths) for --json output. */
  details?: Record<string, unknown>;
}

export class BundleError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly diagnostics: Diagnostic[];
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: BundleErrorOptions = {}) {
    super(redact(message), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "BundleError";
    this.code = code;
    this.hint = opts.hint === undefined ? undefined : redact(opts.hint);
    this.diagnostics = opts.diagnostics ?? [];
    this.details = opts.details;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code];
  }
}

export function isBundleError(e: unknown): e is BundleError {
  return e instanceof BundleError;
}

/** Formats a diagnostic as `file:line:col: message (at path)`. */
export function formatDiagnostic(d: Diagnostic): string {
  const sev = d.severity === "warning" ? "warning" : "error";
  const at = d.path ? ` (at ${d.path})` : "";
  const hint = d.hint ? `\n    hint: ${d.hint}` : "";
  return `${d.file}:${d.line}:${d.col}: ${sev}: ${d.message}${at}${hint}`;
}

/** Removes credentials from URLs (`https://user:token@host` → `https://***@host`). */
export function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+(?::[^/@\s]*)?@/gi, "$1***@");
}

/**
 * `url` without its user:password part. For what is written into a bundle (bundle.json, notices,
 * a repository's origin): a private mirror's credentials must never ship to end users.
 */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, "$1");
}

/**
 * The one error for a stop the user asked for (Ctrl+C, SIGTERM), whatever step it reached:
 * an AbortError, a killed child or a cancelled wait all become this (exit 130), never a failure
 * of that step. `what` says what stopped and what was kept.
 */
export function interrupted(cause?: unknown, what = "interrupted", hint = "run the command again: finished downloads stay in the cache and partial ones resume"): BundleError {
  return new BundleError("INTERRUPTED", what, { hint, ...(cause === undefined ? {} : { cause }) });
}

/** Whether `e` is that error. */
export function isInterrupted(e: unknown): e is BundleError {
  return e instanceof BundleError && e.code === "INTERRUPTED";
}

/** A short description of any thrown value, for messages that wrap it. */
export function describeError(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return redact(code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message);
  }
  return redact(String(e));
}
