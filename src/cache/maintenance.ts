// `bundle cache ls|verify|gc`: list blobs, re-hash them (evicting what is corrupt), prune what no
// recipe needs or what was not used for a while. The decision (planGc) is pure; the rest walks
// the layout of layout.ts and touches nothing else in the cache folder.

import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Emit } from "../core/events.ts";
import { silent } from "../core/events.ts";
import { hashFile, integrityProblem } from "../integrity/sha256.ts";
import { CONTENT_DIR, INDEX_DIR, TMP_DIR, digestOfBlobRel } from "./layout.ts";
import type { Cache, KeyRecord } from "./store.ts";

export interface Entry {
  sha256: string;
  size: number;
  path: string;
  /** When it entered the cache (ms). */
  added: number;
  /** When it was last used (ms): the record's mtime, else the blob's. */
  lastUsed: number;
  url?: string | undefined;
  from?: string | undefined;
  keys: string[];
}

async function dirs(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

async function files(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
  } catch {
    return [];
  }
}

/** Every key record, grouped by digest. */
async function keysByDigest(cache: Cache): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const root = join(cache.dir, INDEX_DIR, "keys");
  for (const d of await dirs(root)) {
    for (const f of await files(join(root, d))) {
      try {
        const rec = JSON.parse(await readFile(join(root, d, f), "utf8")) as KeyRecord;
        out.set(rec.sha256, [...(out.get(rec.sha256) ?? []), rec.key]);
      } catch {
        /* a half-written or foreign file: ignore */
      }
    }
  }
  return out;
}

/** All blobs, sorted by digest. */
export async function listEntries(cache: Cache): Promise<Entry[]> {
  const root = join(cache.dir, CONTENT_DIR, "sha256");
  const keyMap = await keysByDigest(cache);
  const out: Entry[] = [];
  for (const a of (await dirs(root)).sort()) {
    for (const b of (await dirs(join(root, a))).sort()) {
      for (const rest of (await files(join(root, a, b))).sort()) {
        const sha256 = digestOfBlobRel(join(CONTENT_DIR, "sha256", a, b, rest));
        if (!sha256) continue;
        const path = join(root, a, b, rest);
        const s = await stat(path);
        const meta = await cache.meta(sha256);
        const used = await stat(join(cache.dir, INDEX_DIR, "blobs", sha256.slice(0, 2), `${sha256}.json`)).then((x) => x.mtimeMs, () => s.mtimeMs);
        out.push({ sha256, size: s.size, path, added: meta?.added ?? s.mtimeMs, lastUsed: used, url: meta?.url, from: meta?.from, keys: keyMap.get(sha256) ?? [] });
      }
    }
  }
  return out;
}

export interface VerifyResult {
  checked: number;
  bytes: number;
  corrupt: { sha256: string; path: string; problem: string }[];
}

/** Re-hashes every blob; a blob whose bytes do not match its name (or its recorded size) is evicted. */
export async function verifyCache(cache: Cache, opts: { emit?: Emit; signal?: AbortSignal } = {}): Promise<VerifyResult> {
  const emit = opts.emit ?? silent;
  const entries = await listEntries(cache);
  const res: VerifyResult = { checked: 0, bytes: 0, corrupt: [] };
  emit({ type: "task:start", id: "cache-verify", title: `re-hashing ${entries.length} blob(s)`, total: entries.length });
  for (const e of entries) {
    const actual = await hashFile(e.path, opts.signal);
    const recorded = (await cache.meta(e.sha256))?.size;
    const problem = integrityProblem({ sha256: e.sha256, size: recorded }, actual);
    if (problem) {
      res.corrupt.push({ sha256: e.sha256, path: e.path, problem });
      await cache.remove(e.sha256);
    }
    res.checked++;
    res.bytes += actual.size;
    emit({ type: "task:progress", id: "cache-verify", done: res.checked, total: entries.length, detail: e.sha256.slice(0, 12) });
  }
  emit({ type: "task:done", id: "cache-verify", detail: `${res.checked} checked, ${res.corrupt.length} corrupt` });
  return res;
}

export interface GcRule {
  /** Digests some recipe needs (all platforms). Undefined: no recipe given. */
  keep?: ReadonlySet<string> | undefined;
  /** Only entries unused for at least this long. */
  olderThanMs?: number | undefined;
  now: number;
}

/**
 * Which entries to remove. With recipes: what they do not need (a blob made from a kept blob, such
 * as a wheel built from a kept sdist, is kept too). With --older-than: what was not used for that
 * long. With both: only entries that match both rules (never drop what a recipe needs).
 */
export function planGc(entries: readonly Entry[], rule: GcRule): { remove: Entry[]; keep: Entry[] } {
  return splitByGcRule(entries, rule, (e) => rule.keep!.has(e.sha256) || (e.from !== undefined && rule.keep!.has(e.from)));
}

/**
 * The gc rule, for anything with a last use (blobs, cached repositories): with a keep set, drop what
 * `needed` says no to; with olderThanMs, drop what was not used for that long; with both, only what
 * matches both. `needed` is only asked when there is a keep set.
 */
export function splitByGcRule<T extends { lastUsed: number }>(items: readonly T[], rule: GcRule, needed: (item: T) => boolean): { remove: T[]; keep: T[] } {
  const old = (x: T): boolean => rule.olderThanMs !== undefined && rule.now - x.lastUsed >= rule.olderThanMs;
  const remove: T[] = [];
  const keep: T[] = [];
  for (const x of items) {
    const drop = rule.keep && rule.olderThanMs !== undefined ? !needed(x) && old(x) : rule.keep ? !needed(x) : old(x);
    (drop ? remove : keep).push(x);
  }
  return { remove, keep };
}

export interface GcResult {
  removed: Entry[];
  freed: number;
  /** Partial downloads and leftovers removed from tmp/. */
  tmpRemoved: string[];
}

/** Applies planGc (unless dryRun), and clears tmp/ leftovers the same rule drops or that are a day old. */
export async function gcCache(cache: Cache, rule: GcRule & { dryRun?: boolean }): Promise<GcResult> {
  const { remove } = planGc(await listEntries(cache), rule);
  const tmpRemoved = await tmpLeftovers(cache, rule);
  if (!rule.dryRun) {
    for (const e of remove) await cache.remove(e.sha256);
    for (const p of tmpRemoved) await rm(p, { force: true });
  }
  return { removed: remove, freed: remove.reduce((n, e) => n + e.size, 0), tmpRemoved };
}

const DAY = 24 * 3600 * 1000;

async function tmpLeftovers(cache: Cache, rule: GcRule): Promise<string[]> {
  const out: string[] = [];
  const partialDir = join(cache.dir, TMP_DIR, "partial");
  for (const f of await files(partialDir)) {
    const sha = f.slice(0, 64);
    const s = await stat(join(partialDir, f)).catch(() => undefined);
    if (!s) continue;
    const needed = rule.keep?.has(sha) ?? false;
    const oldEnough = rule.now - s.mtimeMs >= (rule.olderThanMs ?? 0);
    if (!needed && oldEnough && !(await locked(cache, sha))) out.push(join(partialDir, f));
  }
  for (const f of await files(join(cache.dir, TMP_DIR))) {
    const p = join(cache.dir, TMP_DIR, f);
    const s = await stat(p).catch(() => undefined);
    if (s && rule.now - s.mtimeMs >= DAY) out.push(p);
  }
  return out;
}

async function locked(cache: Cache, sha256: string): Promise<boolean> {
  return stat(join(cache.dir, TMP_DIR, "locks", `${sha256}.lock`)).then(() => true, () => false);
}
