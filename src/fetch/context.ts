// Normalised options for one fetch call, and the throttled progress reporter.

import { Cache } from "../cache/store.ts";
import { silent, type Emit } from "../core/events.ts";
import { DEFAULT_TIMEOUTS, type Timeouts } from "./http.ts";
import { Semaphore } from "./limits.ts";
import type { MirrorPolicy } from "./mirrors.ts";
import { currentSession, type FetchSession } from "./session.ts";
import type { FetchOptions } from "./types.ts";

export interface RunCtx extends MirrorPolicy {
  cache: Cache;
  session: FetchSession;
  emit: Emit;
  signal: AbortSignal | undefined;
  env: NodeJS.ProcessEnv;
  offline: boolean;
  jobs: number;
  /** Download slots (`jobs` of them): held only while bytes move, not during cache bookkeeping. */
  slots: Semaphore;
  perHost: number;
  segmentThreshold: number;
  segments: number;
  rounds: number;
  backoff: { minMs: number; maxMs: number; factor: number };
  timeouts: Timeouts;
}

export const DEFAULTS = {
  jobs: 8,
  perHost: 8,
  segmentThreshold: 64 << 20,
  segments: 8,
  rounds: 3,
};

const pos = (v: number | undefined, d: number) => (v !== undefined && Number.isFinite(v) && v >= 1 ? Math.floor(v) : d);

/** What the mirror policy takes from a caller's options (file downloads and git fetches alike). */
export interface PolicyOptions {
  session?: FetchSession | undefined;
  emit?: Emit | undefined;
  signal?: AbortSignal | undefined;
  rounds?: number | undefined;
  backoff?: { minMs?: number; maxMs?: number; factor?: number } | undefined;
}

export function mirrorPolicy(opts: PolicyOptions): MirrorPolicy {
  return {
    session: opts.session ?? currentSession(),
    emit: opts.emit ?? silent,
    signal: opts.signal,
    rounds: pos(opts.rounds, DEFAULTS.rounds),
    backoff: { minMs: opts.backoff?.minMs ?? 1000, maxMs: opts.backoff?.maxMs ?? 30_000, factor: opts.backoff?.factor ?? 2 },
  };
}

export function runCtx(opts: FetchOptions): RunCtx {
  return {
    ...mirrorPolicy(opts),
    cache: new Cache(opts.cacheDir),
    env: opts.env ?? process.env,
    offline: opts.offline ?? false,
    jobs: pos(opts.jobs, DEFAULTS.jobs),
    slots: new Semaphore(pos(opts.jobs, DEFAULTS.jobs)),
    perHost: pos(opts.perHost, DEFAULTS.perHost),
    segmentThreshold: opts.segmentThreshold ?? DEFAULTS.segmentThreshold,
    segments: pos(opts.segments, DEFAULTS.segments),
    timeouts: { headersMs: opts.timeouts?.headersMs ?? DEFAULT_TIMEOUTS.headersMs, bodyMs: opts.timeouts?.bodyMs ?? DEFAULT_TIMEOUTS.bodyMs },
  };
}

/** Emits download:progress at most every `everyMs` per download (a 1 GiB file arrives in ~16k chunks). */
export function progressReporter(emit: Emit, id: string, total: number | undefined, everyMs = 200): (bytes: number, force?: boolean) => void {
  let last = 0;
  return (bytes, force = false) => {
    const now = Date.now();
    if (!force && now - last < everyMs) return;
    last = now;
    emit({ type: "download:progress", id, bytes, ...(total !== undefined ? { total } : {}) });
  };
}

/**
 * Says why bytes already downloaded are being thrown away: a silent restart from zero looks like
 * a resume that did not work, and the reason (a damaged sidecar, a mirror ignoring Range, a
 * partial that did not add up) is what a maintainer needs to see.
 */
export function restartWarning(ctx: Pick<RunCtx, "emit">, id: string, why: string): void {
  ctx.emit({ type: "warning", message: `${id}: the partial download is discarded and starts over from zero: ${why}` });
}
