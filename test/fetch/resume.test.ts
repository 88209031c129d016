// Resume: a partial download survives kill -9 and Ctrl+C; the next run re-hashes it, asks for the
// rest with Range and downloads only the remainder; a server that ignores Range means starting over.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { Cache } from "../../src/cache/index.ts";
import { fetchOne } from "../../src/fetch/index.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { eventsOf, file, options, server, writeRecipe } from "./helpers.ts";

const BIG = file(24_000_000, 31);
const PY = file(40_000, 32);
const NODE = file(50_000, 33);

function bundle(args: string[]): ChildProcess {
  return spawn(process.execPath, ["bin/bundle.js", ...args], { env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (cond()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const exited = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.on("exit", (code) => r(code))));

async function world() {
  const dir = await tempDir();
  const s = await server({ files: { "/m/big.bin": BIG, "/m/python.tar.gz": PY, "/m/node.tar.gz": NODE } });
  s.setFault("/m/big.bin", { throttle: 4_000_000 }); // slow enough to be stopped half-way; lifted for the second run
  const recipe = await writeRecipe(dir, [`${s.url}/m`], {
    python: { path: "", urls: ["mirror://m/python.tar.gz"], sha256: PY.sha256 },
    node: { path: "", urls: ["mirror://m/node.tar.gz"], sha256: NODE.sha256 },
    files: [{ path: "app/big.bin", urls: ["mirror://m/big.bin"], sha256: BIG.sha256, size: BIG.size }],
  });
  return { dir, s, recipe, cacheDir: join(dir, "cache"), cache: new Cache(join(dir, "cache")) };
}

describe("resume", () => {
  it("after kill -9 mid-download, the next run downloads only the remainder", async () => {
    const w = await world();
    const child = bundle(["fetch", w.recipe, "--cache", w.cacheDir]);
    await until(() => (w.s.stats.bytes["/m/big.bin"] ?? 0) > 8_000_000, "8 MB of the big file");
    child.kill("SIGKILL");
    await exited(child);
    const partial = (await stat(w.cache.partialPath(BIG.sha256))).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(BIG.size);
    await until(() => w.s.stats.active === 0, "the server to notice the closed connection");
    w.s.stats.reset();
    w.s.setFault("/m/big.bin", undefined);
    const r = await runCli(["fetch", w.recipe, "--cache", w.cacheDir], { env: {} });
    expect(r.stderr).toMatch(/resuming at/);
    expect(r.code).toBe(0);
    expect(w.s.stats.bytes["/m/big.bin"]).toBe(BIG.size - partial);
    expect(w.s.stats.requests.find((q) => q.path === "/m/big.bin")?.range).toBe(`bytes=${partial}-`);
    expect((await readFile(w.cache.blobPath(BIG.sha256))).equals(BIG.generate(0, BIG.size))).toBe(true);
  });

  it("after kill -9 in the middle of a segmented download, the next run fetches only the pieces that were not finished", async () => {
    const w = await world();
    const seg = ["--segment-above", "1MiB", "--segments", "4"];
    w.s.setFault("/m/big.bin", { throttle: 2_000_000 }); // per connection: 8 MB/s for the four
    const child = bundle(["fetch", w.recipe, "--cache", w.cacheDir, ...seg]);
    // The sidecar is saved about once a second: kill once it records finished bytes (what a kill
    // loses is at most the last second).
    const sidecar = w.cache.segmentsPath(BIG.sha256);
    let saved = 0;
    await until(() => {
      try {
        const st = JSON.parse(readFileSync(sidecar, "utf8")) as { pieces: [number, number, number][] };
        saved = st.pieces.reduce((n, [start, , pos]) => n + pos - start, 0);
      } catch {
        saved = 0;
      }
      return saved > 2_000_000;
    }, "the segment sidecar to record progress");
    child.kill("SIGKILL");
    await exited(child);
    const first = w.s.stats.requests.filter((q) => q.path === "/m/big.bin" && q.range);
    expect(first.length).toBeGreaterThanOrEqual(4); // it was segmented
    await until(() => w.s.stats.active === 0, "the server to notice the closed connections");
    w.s.stats.reset();
    w.s.setFault("/m/big.bin", undefined);
    const r = await runCli(["fetch", w.recipe, "--cache", w.cacheDir, ...seg], { env: {} });
    expect(r.code, r.stderr).toBe(0);
    const again = w.s.stats.bytes["/m/big.bin"] ?? 0;
    expect(again).toBeGreaterThan(0);
    expect(again).toBeLessThanOrEqual(BIG.size - saved); // what the sidecar recorded was kept
    expect(w.s.stats.requests.filter((q) => q.path === "/m/big.bin").every((q) => q.range !== undefined)).toBe(true);
    expect((await readFile(w.cache.blobPath(BIG.sha256))).equals(BIG.generate(0, BIG.size))).toBe(true);
  });

  it("after Ctrl+C the partial is kept, the exit code is 130, and the next run resumes", async () => {
    const w = await world();
    const child = bundle(["fetch", w.recipe, "--cache", w.cacheDir]);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    await until(() => (w.s.stats.bytes["/m/big.bin"] ?? 0) > 4_000_000, "4 MB of the big file");
    child.kill("SIGINT");
    expect(await exited(child)).toBe(130);
    expect(stderr).toMatch(/next run resumes/);
    const partial = (await stat(w.cache.partialPath(BIG.sha256))).size;
    expect(partial).toBeGreaterThan(0);
    await until(() => w.s.stats.active === 0, "the server to notice the closed connection");
    w.s.stats.reset();
    w.s.setFault("/m/big.bin", undefined);
    const r = await runCli(["fetch", w.recipe, "--cache", w.cacheDir], { env: {} });
    expect(r.code).toBe(0);
    expect(w.s.stats.bytes["/m/big.bin"]).toBe(BIG.size - partial);
  });
});

describe("resume edge cases", () => {
  const A = file(2_000_000, 34);

  async function withPartial(bytes: Buffer) {
    const cacheDir = await tempDir();
    const cache = new Cache(cacheDir);
    await mkdir(dirname(cache.partialPath(A.sha256)), { recursive: true });
    await writeFile(cache.partialPath(A.sha256), bytes);
    return { cacheDir, cache };
  }

  it("restarts from zero when the server ignores Range", async () => {
    const s = await server({ files: { "/a.bin": A } });
    s.setFault("/a.bin", { ignoreRange: true });
    const { cacheDir } = await withPartial(A.generate(0, 500_000));
    const o = options(cacheDir);
    const f = await fetchOne({ id: "a", urls: [`${s.url}/a.bin`], sha256: A.sha256, size: A.size }, o);
    expect(s.stats.requests[0]?.range).toBe("bytes=500000-");
    expect(s.stats.bytes["/a.bin"]).toBe(A.size);
    expect(eventsOf(o.events, "download:start")[0]?.resumeFrom).toBeUndefined();
    expect((await readFile(f.path)).equals(A.generate(0, A.size))).toBe(true);
    expect(eventsOf(o.events, "warning").map((w) => w.message)).toEqual([`a: the partial download is discarded and starts over from zero: ${s.url}/a.bin ignores Range requests (it answered bytes=500000- with the whole file)`]);
  });

  it("starts over when a 206 answer's Content-Range is not the range asked for", async () => {
    const s = await server({ files: { "/a.bin": A } });
    s.setFault("/a.bin", { wrongRangeFrom: 0, times: 1 });
    const { cacheDir } = await withPartial(A.generate(0, 500_000));
    const o = options(cacheDir);
    const f = await fetchOne({ id: "a", urls: [`${s.url}/a.bin`], sha256: A.sha256, size: A.size }, o);
    expect(s.stats.requests.map((q) => [q.range, q.status])).toEqual([["bytes=500000-", 206], [undefined, 200]]);
    expect((await readFile(f.path)).equals(A.generate(0, A.size))).toBe(true);
  });

  it("throws away a partial whose bytes turn out wrong and downloads from zero, blaming no mirror", async () => {
    const s = await server({ files: { "/a.bin": A } });
    const { cacheDir } = await withPartial(Buffer.alloc(300_000, 7));
    const o = options(cacheDir);
    const f = await fetchOne({ id: "a", urls: [`${s.url}/a.bin`], sha256: A.sha256, size: A.size }, o);
    expect(s.stats.bytes["/a.bin"]).toBe(A.size - 300_000 + A.size);
    expect(o.session!.isDemoted(`${s.url}/a.bin`)).toBe(false);
    expect((await readFile(f.path)).equals(A.generate(0, A.size))).toBe(true);
    expect(eventsOf(o.events, "warning").map((w) => w.message)).toEqual([expect.stringMatching(/^a: the partial download is discarded and starts over from zero: the resumed download did not match \(sha256 mismatch/)]);
  });

  it("says why when a damaged segment sidecar makes it throw a segmented partial away", async () => {
    const s = await server({ files: { "/a.bin": A } });
    const { cacheDir, cache } = await withPartial(A.generate(0, 800_000));
    await writeFile(cache.segmentsPath(A.sha256), '{"v":1,"sha256":"');
    const o = options(cacheDir, { segmentThreshold: 1 << 20, segments: 4 });
    const f = await fetchOne({ id: "a", urls: [`${s.url}/a.bin`], sha256: A.sha256, size: A.size }, o);
    expect(s.stats.bytes["/a.bin"]).toBe(A.size);
    expect(eventsOf(o.events, "warning").map((w) => w.message)).toEqual([expect.stringMatching(/^a: the partial download is discarded and starts over from zero: its segment state .*segments\.json is damaged or describes another file, so the 800000-byte partial cannot be trusted$/)]);
    expect((await readFile(f.path)).equals(A.generate(0, A.size))).toBe(true);
  });

  it("resumes a segmented partial when the request gives no size, from the size its sidecar records", async () => {
    const s = await server({ files: { "/a.bin": A } });
    const first = options(await tempDir(), { segmentThreshold: 1 << 20, segments: 4 });
    s.setFault("/a.bin", { status: 503, when: (q) => q.range !== undefined && !q.range.startsWith("bytes=0-") });
    await expect(fetchOne({ id: "a", urls: [`${s.url}/a.bin`], sha256: A.sha256 }, { ...first, rounds: 1 })).rejects.toThrow(/HTTP 503/);
    const state = JSON.parse(await readFile(new Cache(first.cacheDir).segmentsPath(A.sha256), "utf8")) as { size: number; pieces: [number, number, number][] };
    const kept = state.pieces.reduce((n, [start, , pos]) => n + pos - start, 0);
    expect(state.size).toBe(A.size);
    expect(kept).toBeGreaterThan(0);
    s.setFault("/a.bin", undefined);
    s.stats.reset();
    const o = { ...first, events: [] as typeof first.events };
    o.emit = (e) => o.events.push(e);
    const f = await fetchOne({ id: "a", urls: [`${s.url}/a.bin`], sha256: A.sha256 }, o);
    expect(eventsOf(o.events, "download:start")[0]?.resumeFrom).toBe(kept);
    expect(s.stats.bytes["/a.bin"]).toBe(A.size - kept);
    expect(eventsOf(o.events, "warning")).toEqual([]);
    expect((await readFile(f.path)).equals(A.generate(0, A.size))).toBe(true);
  });

  it("stores a partial that is already complete without asking any server", async () => {
    const s = await server({ files: {} });
    const { cacheDir } = await withPartial(A.generate(0, A.size));
    const f = await fetchOne({ id: "a", urls: [`${s.url}/a.bin`], sha256: A.sha256, size: A.size }, options(cacheDir));
    expect(f.cached).toBe(false);
    expect(s.stats.requests).toEqual([]);
  });
});
