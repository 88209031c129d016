// One file to fetch and the verified file that results: the types every stage passes around.

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
