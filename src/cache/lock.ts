// Locks between processes sharing one cache: per digest (two `bundle fetch` runs on the same cache
// both succeed and never download the same bytes twice), per cached git repository, and for a
// bundle's output folder.
//
// A lock is a small file created with O_EXCL ("wx"), holding {pid, host, token, started}. The
// holder refreshes its mtime every few seconds. A waiter treats a lock as stale when its holder is
// a dead process on this host (kill -9 leaves the file behind), or when the file has not been
// refreshed for `staleMs` (another host on a shared disk, or a reused pid). Breaking a stale lock
// renames it away first, so that of two breakers only one wins; if what was renamed turns out to
// be a fresh lock (recreated between our read and our rename), it is linked back.
//
// Integrity never depends on the lock: a blob is only committed after its own bytes were hashed.
// The lock only prevents duplicate downloads and two writers on one partial file.

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { link, mkdir, open, readFile, rename, stat, unlink, utimes } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { processAlive } from "../core/process.ts";

export interface LockInfo {
  pid: number;
  host: string;
  token: string;
  started: number;
}

export interface HeldLock {
  readonly path: string;
  readonly token: string;
  release(): Promise<void>;
}

export interface LockOptions {
  signal?: AbortSignal | undefined;
  /** A lock not refreshed for this long is stale (default 30 s). */
  staleMs?: number;
  /** How often the holder refreshes its lock (default 5 s). */
  refreshMs?: number;
  /** How often a waiter looks again (default 150 ms). */
  pollMs?: number;
  /** Checked while waiting: when it says true the wait ends with "done" (the other process finished the work). */
  isDone?: () => Promise<boolean>;
  /** Called once when the lock is found held by someone else. */
  onWait?: (holder: LockInfo | undefined) => void;
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

async function readInfo(path: string): Promise<LockInfo | undefined> {
  try {
    const v = JSON.parse(await readFile(path, "utf8")) as Partial<LockInfo>;
    return typeof v.pid === "number" && typeof v.token === "string" && typeof v.host === "string" ? (v as LockInfo) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a lock held by `info` (file mtime `mtimeMs`) may be broken. Pure apart from the pid probe. */
export function isStale(info: LockInfo | undefined, mtimeMs: number, now: number, staleMs: number): boolean {
  if (now - mtimeMs > staleMs) return true;
  if (info && info.host === hostname() && info.pid !== process.pid && !processAlive(info.pid)) return true;
  return false;
}

async function tryCreate(path: string, info: LockInfo): Promise<boolean> {
  try {
    const fh = await open(path, "wx", 0o644);
    try {
      await fh.writeFile(JSON.stringify(info));
    } finally {
      await fh.close();
    }
    return true;
  } catch (e) {
    if (errno(e) === "EEXIST") return false;
    if (errno(e) === "ENOENT") {
      await mkdir(dirname(path), { recursive: true });
      return tryCreate(path, info);
    }
    throw e;
  }
}

/** Renames a stale lock away; restores it if it turned out to be someone's fresh lock. */
async function breakStale(path: string, seen: LockInfo | undefined): Promise<void> {
  const moved = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(path, moved);
  } catch (e) {
    if (errno(e) === "ENOENT") return; // someone else broke it
    throw e;
  }
  const got = await readInfo(moved);
  if (seen && got && got.token !== seen.token) {
    await link(moved, path).catch(() => {}); // a fresh lock: put it back unless an even newer one exists
  }
  await unlink(moved).catch(() => {});
}

function hold(path: string, info: LockInfo, refreshMs: number, staleMs: number): HeldLock {
  let touched = Date.now();
  const timer = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).then(() => (touched = now.getTime()), () => {});
  }, refreshMs);
  timer.unref();
  return {
    path,
    token: info.token,
    async release() {
      clearInterval(timer);
      // Refreshed well within staleMs: nobody can have judged it stale, so it is still ours.
      // Otherwise (the process was suspended, the disk hung) check the token before deleting.
      if (Date.now() - touched < staleMs / 2) {
        await unlink(path).catch(() => {});
        return;
      }
      const cur = await readInfo(path);
      if (cur?.token === info.token) await unlink(path).catch(() => {});
    },
  };
}

/** Takes the lock at `path`, waiting while another live process holds it. Returns "done" when `isDone` said so while waiting. */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<HeldLock | "done"> {
  const staleMs = opts.staleMs ?? 30_000;
  const info: LockInfo = { pid: process.pid, host: hostname(), token: randomBytes(8).toString("hex"), started: Date.now() };
  let told = false;
  for (;;) {
    opts.signal?.throwIfAborted();
    if (await tryCreate(path, info)) return hold(path, info, opts.refreshMs ?? 5_000, staleMs);
    if (opts.isDone && (await opts.isDone())) return "done";
    const held = await readInfo(path);
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(path)).mtimeMs;
    } catch (e) {
      if (errno(e) === "ENOENT") continue; // released between our create and our stat
      throw e;
    }
    if (isStale(held, mtimeMs, Date.now(), staleMs)) {
      await breakStale(path, held);
      continue;
    }
    if (!told) {
      told = true;
      opts.onWait?.(held);
    }
    await sleep(opts.pollMs ?? 150, undefined, opts.signal ? { signal: opts.signal } : undefined);
  }
}
