// The content-addressed cache: store (blobs + key index), per-digest locks, maintenance.
import { resolve } from "node:path";

export { Cache, type BlobRecord, type KeyRecord, type StoreMeta } from "./store.ts";
export { acquireLock, type HeldLock, type LockInfo, type LockOptions } from "./lock.ts";
export { keys, blobRel, CONTENT_DIR, INDEX_DIR, TMP_DIR } from "./layout.ts";

/** The cache folder for a command: `--cache DIR`, else `$BUNDLE_CACHE_DIR`, else `./cache`. */
export function cacheDirFrom(flags: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv, cwd: string): string {
  const flag = flags.cache;
  if (typeof flag === "string" && flag !== "") return resolve(cwd, flag);
  const fromEnv = env.BUNDLE_CACHE_DIR;
  if (fromEnv) return resolve(cwd, fromEnv);
  return resolve(cwd, "cache");
}
export { listEntries, verifyCache, planGc, gcCache, type Entry, type GcResult, type GcRule, type VerifyResult } from "./maintenance.ts";
export { KEPT_DIR, gcKept, listKept, verifyKept, type KeptRecord } from "./kept.ts";
