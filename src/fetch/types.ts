// The fetch engine's public contract. Every later stage gets its bytes through these types (the
// request and its result are in request.ts, which session.ts can import without a cycle).

import type { Emit } from "../core/events.ts";
import type { FetchSession } from "./session.ts";

export type { Fetched, FetchRequest } from "./request.ts";

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
