// The content-addressed store: layout, read-only blobs, import, key index, locks between processes.
import { spawn } from "node:child_process";
import { mkdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { Cache, cacheDirFrom, keys } from "../../src/cache/index.ts";
import { isStale } from "../../src/cache/lock.ts";
import { hashFile } from "../../src/integrity/sha256.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("cache store", () => {
  it("imports a file under content-v1/sha256/ab/cd/<rest>, read-only, and finds it by key", async () => {
    const dir = await tempDir();
    const src = join(dir, "built.whl");
    await writeFile(src, "wheel bytes");
    const cache = new Cache(join(dir, "cache"));
    const got = await cache.importFile(src, { key: "built:sdist-abc", from: "f".repeat(64) });
    const { sha256, size } = await hashFile(src);
    expect(got).toEqual({ sha256, size, path: cache.blobPath(sha256) });
    expect(relative(cache.dir, got.path)).toBe(join("content-v1", "sha256", sha256.slice(0, 2), sha256.slice(2, 4), sha256.slice(4)));
    expect((await stat(got.path)).mode & 0o777).toBe(0o444);
    expect(await cache.has(sha256, size)).toBe(true);
    expect(await cache.has(sha256, size + 1)).toBe(false);
    expect(await cache.lookup("built:sdist-abc")).toBe(sha256);
    expect(await cache.lookup("built:other")).toBeUndefined();
    expect(await cache.meta(sha256)).toMatchObject({ sha256, size, from: "f".repeat(64) });
    expect(await readFile(src, "utf8")).toBe("wheel bytes"); // the caller keeps its file
  });

  it("keeps the existing blob when the same digest is committed twice", async () => {
    const dir = await tempDir();
    const cache = new Cache(dir);
    const a = join(dir, "a");
    await writeFile(a, "same");
    const first = await cache.importFile(a, { url: "http://one/a" });
    const second = await cache.importFile(a, { url: "http://two/a" });
    expect(second.path).toBe(first.path);
    expect((await cache.meta(first.sha256))?.url).toBe("http://one/a");
  });

  it("forgets a key whose blob was removed", async () => {
    const dir = await tempDir();
    const cache = new Cache(dir);
    await writeFile(join(dir, "x"), "x");
    const { sha256 } = await cache.importFile(join(dir, "x"));
    await cache.record(keys.url("http://m/x"), sha256);
    await cache.remove(sha256);
    expect(await cache.lookup(keys.url("http://m/x"))).toBeUndefined();
    expect(await cache.has(sha256)).toBe(false);
  });

  it("takes the cache folder from --cache, then BUNDLE_CACHE_DIR, then ./cache", () => {
    expect(cacheDirFrom({ cache: "c" }, { BUNDLE_CACHE_DIR: "/e" }, "/w")).toBe("/w/c");
    expect(cacheDirFrom({}, { BUNDLE_CACHE_DIR: "/e" }, "/w")).toBe("/e");
    expect(cacheDirFrom({}, {}, "/w")).toBe("/w/cache");
  });
});

describe("per-digest locks", () => {
  const D = "d".repeat(64);

  it("judges a lock stale when its holder died on this host or stopped refreshing it", () => {
    const now = Date.now();
    const dead = { pid: 2 ** 22 + 12345, host: hostname(), token: "t", started: now };
    expect(isStale(dead, now, now, 30_000)).toBe(true);
    expect(isStale({ ...dead, pid: process.ppid }, now, now, 30_000)).toBe(false);
    expect(isStale({ ...dead, host: "elsewhere" }, now, now, 30_000)).toBe(false);
    expect(isStale({ ...dead, host: "elsewhere" }, now - 31_000, now, 30_000)).toBe(true);
  });

  it("breaks the lock a killed process left behind", async () => {
    const cache = new Cache(await tempDir());
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    await new Promise((r) => child.on("spawn", r));
    const path = join(cache.dir, "tmp", "locks", `${D}.lock`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, JSON.stringify({ pid: child.pid, host: hostname(), token: "old", started: Date.now() }));
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    const lock = await cache.lock(D, { pollMs: 10 });
    expect(lock).not.toBe("done");
    if (lock !== "done") {
      expect(JSON.parse(await readFile(path, "utf8")).pid).toBe(process.pid);
      await lock.release();
    }
    await expect(stat(path)).rejects.toThrow();
  });

  it("waits for a live holder and ends the wait when the work is done", async () => {
    const cache = new Cache(await tempDir());
    const held = await cache.lock(D);
    expect(held).not.toBe("done");
    let checks = 0;
    let told = 0;
    const r = await cache.lock(D, { pollMs: 5, isDone: async () => ++checks > 3, onWait: () => told++ });
    expect(r).toBe("done");
    expect(told).toBe(1);
    if (held !== "done") await held.release();
  });

  it("takes over a lock that nobody refreshed for too long", async () => {
    const cache = new Cache(await tempDir());
    const path = join(cache.dir, "tmp", "locks", `${D}.lock`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, JSON.stringify({ pid: 1, host: "another-host", token: "x", started: 0 }));
    const old = new Date(Date.now() - 120_000);
    await utimes(path, old, old);
    const lock = await cache.lock(D, { staleMs: 30_000 });
    expect(lock).not.toBe("done");
    if (lock !== "done") await lock.release();
  });

  it("can remove a read-only blob", async () => {
    const dir = await tempDir();
    const cache = new Cache(dir);
    await writeFile(join(dir, "y"), "y");
    const { sha256, path } = await cache.importFile(join(dir, "y"));
    await cache.remove(sha256);
    await expect(stat(path)).rejects.toThrow();
  });
});
