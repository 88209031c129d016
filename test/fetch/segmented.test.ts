// Segmented downloads: parallel ranges into one file, per-piece resume, resets, servers without Range.
import { readFile, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { Cache } from "../../src/cache/index.ts";
import { fetchOne } from "../../src/fetch/index.ts";
import { doneBytes, fromState } from "../../src/fetch/pieces.ts";
import { tempDir } from "../helpers/tmp.ts";
import { eventsOf, file, options, server } from "./helpers.ts";

const MiB = 1 << 20;
const F = file(12 * MiB + 12345, 41);
const seg = { segmentThreshold: MiB, segments: 4 };
const ranged = (s: Awaited<ReturnType<typeof server>>) => s.stats.requests.filter((r) => r.range !== undefined);

async function same(path: string): Promise<boolean> {
  return (await readFile(path)).equals(F.generate(0, F.size));
}

describe("segmented download", () => {
  it("reassembles a large file from parallel ranged connections", async () => {
    const s = await server({ files: { "/f.bin": F } });
    const cacheDir = await tempDir();
    const f = await fetchOne({ id: "f", urls: [`${s.url}/f.bin`], sha256: F.sha256, size: F.size }, options(cacheDir, seg));
    expect(await same(f.path)).toBe(true);
    expect(ranged(s).length).toBeGreaterThanOrEqual(4);
    await expect(stat(new Cache(cacheDir).segmentsPath(F.sha256))).rejects.toThrow(); // sidecar gone
  });

  it("continues a segment whose connection was reset from where it stopped", async () => {
    const s = await server({ files: { "/f.bin": F } });
    s.setFault("/f.bin", { resetAfter: 400_000, times: 1, when: (r) => r.range?.startsWith(`bytes=${3 * MiB}-`) === true });
    const o = options(await tempDir(), seg);
    const f = await fetchOne({ id: "f", urls: [`${s.url}/f.bin`], sha256: F.sha256, size: F.size }, o);
    expect(await same(f.path)).toBe(true);
    const starts = ranged(s).map((r) => Number(/bytes=(\d+)-/.exec(r.range!)![1]));
    expect(starts.some((x) => x > 3 * MiB && x < 4 * MiB)).toBe(true); // picked up mid-piece
    expect(s.stats.totalBytes).toBeLessThan(F.size + 3 * MiB); // no restart from zero
    expect(eventsOf(o.events, "download:mirror")).toEqual([]);
  });

  it("resumes an interrupted segmented download piece by piece, fetching only what is missing", async () => {
    const s = await server({ files: { "/f.bin": F } });
    s.setFault("/f.bin", { throttle: 3 * MiB });
    const cacheDir = await tempDir();
    const cache = new Cache(cacheDir);
    const stop = new AbortController();
    // Stopped once progress shows pieces half-way (slow connections write every few dozen ms, so
    // a count that is not a whole number of 1 MiB pieces means some piece is part-written).
    const o = options(cacheDir, { ...seg, signal: stop.signal, emit: (e) => e.type === "download:progress" && e.bytes > 4 * MiB && e.bytes % MiB !== 0 && stop.abort() });
    const e = await fetchOne({ id: "f", urls: [`${s.url}/f.bin`], sha256: F.sha256, size: F.size }, o).catch((x: unknown) => x);
    expect((e as { code?: string }).code).toBe("INTERRUPTED");
    const state = fromState(JSON.parse(await readFile(cache.segmentsPath(F.sha256), "utf8")), F.sha256, F.size)!;
    const done = doneBytes(state);
    expect(done).toBeGreaterThan(4 * MiB);
    expect(state.filter((p) => p.pos > p.start && p.pos < p.end).length).toBeGreaterThan(0); // pieces stopped half-way
    for (let i = 0; i < 200 && s.stats.active > 0; i++) await sleep(20); // the server notices the closed connections
    s.stats.reset();
    s.setFault("/f.bin", undefined);
    const f = await fetchOne({ id: "f", urls: [`${s.url}/f.bin`], sha256: F.sha256, size: F.size }, options(cacheDir, { ...seg, segments: 1 }));
    expect(await same(f.path)).toBe(true);
    expect(s.stats.totalBytes).toBe(F.size - done);
  });

  it("falls back to one connection from zero when the server ignores Range", async () => {
    const s = await server({ files: { "/f.bin": F } });
    s.setFault("/f.bin", { ignoreRange: true });
    const f = await fetchOne({ id: "f", urls: [`${s.url}/f.bin`], sha256: F.sha256, size: F.size }, options(await tempDir(), seg));
    expect(await same(f.path)).toBe(true);
    expect(s.stats.requests.filter((r) => r.status === 200 && r.range === undefined)).toHaveLength(1);
  });

  it("learns a large size from the first response and switches to segments", async () => {
    const s = await server({ files: { "/f.bin": F } });
    const f = await fetchOne({ id: "f", urls: [`${s.url}/f.bin`], sha256: F.sha256 }, options(await tempDir(), seg));
    expect(await same(f.path)).toBe(true);
    expect(ranged(s).length).toBeGreaterThanOrEqual(4);
  });

  it("uses X-Linked-Size of a Hugging Face style URL, and skips a mirror whose X-Linked-Etag names another file", async () => {
    const s = await server({ files: { "/a/m/resolve/main/f.bin": F, "/b/m/resolve/main/f.bin": F }, linked: true });
    s.setFault("/a/m/resolve/main/f.bin", { linkedEtag: "0".repeat(64), when: (r) => r.method === "HEAD" });
    const o = options(await tempDir(), seg);
    const f = await fetchOne({ id: "f", urls: [`${s.url}/a/m/resolve/main/f.bin`, `${s.url}/b/m/resolve/main/f.bin`], sha256: F.sha256 }, o);
    expect(f.url).toBe(`${s.url}/b/m/resolve/main/f.bin`);
    expect(s.stats.bytes["/a/m/resolve/main/f.bin"]).toBeUndefined(); // not one byte from the wrong mirror
    expect(eventsOf(o.events, "download:mirror")[0]?.reason).toMatch(/X-Linked-Etag/);
    expect(s.stats.requests.filter((r) => r.path === "/b/m/resolve/main/f.bin" && r.method === "GET").every((r) => r.range)).toBe(true);
  });
});
