// The on-disk layout of the cache (the format version is in the path, so a later layout can live
// beside this one). Pure: paths only, no I/O.
//
//   <cache>/content-v1/sha256/ab/cd/<rest>   blobs, named by their sha256, read-only (0444)
//   <cache>/index-v1/blobs/ab/<sha256>.json  per-blob record {sha256,size,url,added}; its mtime is the last use
//   <cache>/index-v1/keys/ab/<sha256(key)>.json  key → digest ("url:…" for downloads whose digest was
//                                            not known in advance, "built:…", anything a stage wants;
//                                            pinned downloads need no key: their digest is the key)
//   <cache>/tmp/partial/<sha256>             a resumable partial download of that digest
//   <cache>/tmp/partial/<sha256>.segments.json  the per-segment state of a segmented download
//   <cache>/tmp/locks/<sha256>.lock          who is downloading that digest right now (pid, host, token)
//   <cache>/tmp/<random>                     other temporary files (imports, unpinned downloads)
//
// Everything lives under one folder so that tmp → content is a rename on one filesystem. Other
// stages may keep their own folders beside these (the git stage keeps bare repositories); the
// cache commands only touch the folders above.

import { createHash } from "node:crypto";
import { join } from "node:path";
import { BundleError } from "../core/errors.ts";
import { isSha256 } from "../integrity/sha256.ts";

export const CONTENT_DIR = "content-v1";
export const INDEX_DIR = "index-v1";
export const TMP_DIR = "tmp";

function checkDigest(sha256: string): string {
  const s = sha256.toLowerCase();
  if (!isSha256(s)) throw new BundleError("CACHE", `not a sha256 digest: "${sha256}"`, { hint: "a sha256 is 64 hexadecimal characters" });
  return s;
}

export function blobRel(sha256: string): string {
  const s = checkDigest(sha256);
  return join(CONTENT_DIR, "sha256", s.slice(0, 2), s.slice(2, 4), s.slice(4));
}

/** The digest a blob path names, or undefined if the path is not a blob path. */
export function digestOfBlobRel(rel: string): string | undefined {
  const parts = rel.split(/[\\/]/);
  if (parts.length !== 5 || parts[0] !== CONTENT_DIR || parts[1] !== "sha256") return undefined;
  const d = parts[2]! + parts[3]! + parts[4]!;
  return isSha256(d) ? d : undefined;
}

export function blobMetaRel(sha256: string): string {
  const s = checkDigest(sha256);
  return join(INDEX_DIR, "blobs", s.slice(0, 2), `${s}.json`);
}

export function keyHash(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function keyRel(key: string): string {
  const h = keyHash(key);
  return join(INDEX_DIR, "keys", h.slice(0, 2), `${h}.json`);
}

export function partialRel(sha256: string): string {
  return join(TMP_DIR, "partial", checkDigest(sha256));
}

export function segmentsRel(sha256: string): string {
  return `${partialRel(sha256)}.segments.json`;
}

export function lockRel(sha256: string): string {
  return join(TMP_DIR, "locks", `${checkDigest(sha256)}.lock`);
}

/** Keys other stages use to find things in the index. */
export const keys = {
  url: (url: string) => `url:${url}`,
  artifact: (id: string) => `artifact:${id}`,
};
