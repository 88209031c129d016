// The fetch engine's public contract. Every later stage gets its bytes through these types.

import type { Emit } from "../core/events.ts";
import type { FetchSession } from "./session.ts";

/** One file to bring into the cache. */
export interface FetchRequest {
  /** Plan artifact id (or another stable id), used in events and errors. */
  id: string;
  /** Candidate URLs in the order they are tried. */
  urls: string[];
  /** Expected sha256; required — bytes that do not match never enter the cache. */
  sha256: string;
  /** Expected size in bytes, when known (checked before the digest). */
  size?: number;
  /** An extra index key recorded for the blob (e.g. "artifact:<recipe>:<id>"); `url:<url>` is always recorded. */
  key?: string;
}

/** A file that is in the cache, verified. */
export interface Fetched {
  id: string;
  /** Path of the read-only blob in the cache (content-v1/sha256/ab/cd/<rest>). */
  path: string;
  sha256: string;
  size: number;
  /** The URL whose bytes were used (the mirror that served it), or the URL recorded when it entered the cache. */
  url: string;
  /** True when no download was needed. */
  cached: boolean;
}

export interface FetchOptions {
  cacheDir: string;
  /** Use only the cache; if anything is missing, fail listing all of it. */
  offline?: boolean;
  /** Downloads at the same time (default 8). */
  jobs?: number;
  /** Connections per host at the same time (default 8: enough for one segmented download at full speed). */
  perHost?: number;
  /** Files larger than this are downloaded in parallel segments (default 64 MiB). */
  segmentThreshold?: number;
  /** Number of segments for a large file (default 8). */
  segments?: number;
  /** Rounds over the whole mirror list before giving up (default 3). */
  rounds?: number;
  emit?: Emit;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Backoff between rounds (p-retry): first delay, cap, growth factor (defaults 1 s, 30 s, 2). */
  backoff?: { minMs?: number; maxMs?: number; factor?: number };
  /** Header and body-idle timeouts in ms (defaults 60 s each). */
  timeouts?: { headersMs?: number; bodyMs?: number };
  /** Run-wide state (demoted mirrors, per-host limits, proxy dispatcher); the process's own by default. */
  session?: FetchSession;
}
