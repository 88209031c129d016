// kill -9, again and again, in the middle of a large segmented download from a throttled mirror
// (4 MiB/s per connection, eight connections): after every kill the segment sidecar must describe
// bytes that are really on disk, cover all but the last few MiB that were written, and the next
// run must resume from there. A run that throws a partial away must say why.
import { spawn, type ChildProcess } from "node:child_process";
import { open, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { Cache } from "../../src/cache/index.ts";
import type { BundleEvent } from "../../src/core/events.ts";
import type { GeneratedBody } from "../../src/demo/generated.ts";
import { tempDir } from "../helpers/tmp.ts";
import { file, server, writeRecipe } from "./helpers.ts";

const MiB = 1 << 20;
const BIG = file(96 * MiB, 91);
const PY = file(40_000, 92);
const NODE = file(50_000, 93);
/** What a kill may lose of what was already written: a second's worth would be 32 MiB here. */
const SLACK = 4 * MiB;
const BLOCK = 64 * 1024;

interface Run {
  child: ChildProcess;
  events: BundleEvent[];
  exited: Promise<number | null>;
}

function fetchRun(args: string[]): Run {
  const child = spawn(process.execPath, ["bin/bundle.js", "fetch", ...args, "--json"], { env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] });
  const events: BundleEvent[] = [];
  let buf = "";
  child.stderr!.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        events.push(JSON.parse(line) as BundleEvent);
      } catch {
        // not an event line
      }
    }
  });
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, events, exited };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (cond()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Bytes of the partial file that hold the right content, counted in whole 64 KiB blocks. */
async function writtenBytes(path: string, body: GeneratedBody): Promise<number> {
  const fh = await open(path, "r");
  try {
    const size = Math.min((await fh.stat()).size, body.size);
    const buf = Buffer.alloc(BLOCK);
    let n = 0;
    for (let at = 0; at + BLOCK <= size; at += BLOCK) {
      await fh.read(buf, 0, BLOCK, at);
      if (buf.equals(body.generate(at, BLOCK))) n += BLOCK;
    }
    return n;
  } finally {
    await fh.close();
  }
}

/** The sidecar's pieces, each checked against the partial file: a recorded byte must be on disk. */
async function recordedBytes(sidecar: string, partial: string, body: GeneratedBody): Promise<number> {
  const state = JSON.parse(await readFile(sidecar, "utf8")) as { size: number; pieces: [number, number, number][] };
  expect(state.size).toBe(body.size);
  const fh = await open(partial, "r");
  try {
    let n = 0;
    for (const [start, , pos] of state.pieces) {
      if (pos === start) continue;
      const got = Buffer.alloc(pos - start);
      await fh.read(got, 0, got.length, start);
      expect(got.equals(body.generate(start, pos - start)), `piece at ${start} claims ${pos - start} bytes that are not on disk`).toBe(true);
      n += pos - start;
    }
    return n;
  } finally {
    await fh.close();
  }
}

const progressOf = (events: BundleEvent[], id: string) => Math.max(0, ...events.map((e) => (e.type === "download:progress" && e.id === id ? e.bytes : 0)));
const startOf = (events: BundleEvent[], id: string) => events.find((e): e is Extract<BundleEvent, { type: "download:start" }> => e.type === "download:start" && e.id === id);

describe("kill -9 during a large segmented download", () => {
  it.each([
    ["the recipe gives its size", true],
    ["the size is learnt from the server", false],
  ])("never loses more than the last few MiB it had written, over repeated kills (%s)", async (_name, sized) => {
    const dir = await tempDir();
    const s = await server({ files: { "/m/big.bin": BIG, "/m/python.tar.gz": PY, "/m/node.tar.gz": NODE }, throttle: { perConnection: 4 * MiB } });
    const big = { path: "app/big.bin", urls: ["mirror://m/big.bin"], sha256: BIG.sha256, ...(sized ? { size: BIG.size } : {}) };
    const recipe = await writeRecipe(dir, [`${s.url}/m`], {
      python: { path: "", urls: ["mirror://m/python.tar.gz"], sha256: PY.sha256 },
      node: { path: "", urls: ["mirror://m/node.tar.gz"], sha256: NODE.sha256 },
      files: [big],
    });
    const cacheDir = join(dir, "cache");
    const cache = new Cache(cacheDir);
    const partial = cache.partialPath(BIG.sha256);
    const sidecar = cache.segmentsPath(BIG.sha256);
    const args = [recipe, "--cache", cacheDir, "--segment-above", "16MiB", "--segments", "8"];
    let kept = 0;
    // Kill points: bytes this run reports written beyond what it resumed from (a kill inside the
    // first second too). Its own progress, not the server's count: on a busy machine the sockets
    // hold megabytes the process has not read yet.
    for (const [trial, after] of [10 * MiB, 14 * MiB, 7 * MiB, 20 * MiB].entries()) {
      s.stats.reset();
      const run = fetchRun(args);
      await until(() => startOf(run.events, "file:app/big.bin") !== undefined, "the big file to start");
      const start = startOf(run.events, "file:app/big.bin")!;
      if (trial > 0) {
        // The run resumes from what the killed one recorded, saying so.
        expect(start.resumeFrom ?? 0, `trial ${trial}: resumed from`).toBe(kept);
        expect(run.events.filter((e) => e.type === "warning")).toEqual([]);
      }
      const target = Math.min(kept + after, BIG.size - 16 * MiB);
      await until(() => progressOf(run.events, "file:app/big.bin") >= target, `${target} bytes written`);
      run.child.kill("SIGKILL");
      await run.exited;
      const written = await writtenBytes(partial, BIG);
      const recorded = await recordedBytes(sidecar, partial, BIG);
      expect(recorded, `trial ${trial}: the sidecar records ${recorded} of the ${written} bytes written (${s.stats.bytes["/m/big.bin"]} served)`).toBeGreaterThanOrEqual(written - SLACK);
      expect(recorded).toBeGreaterThan(kept); // every run moved forward
      kept = recorded;
      await until(() => s.stats.active === 0, "the server to notice the closed connections");
    }
    s.stats.reset();
    const last = fetchRun(args);
    expect(await last.exited).toBe(0);
    expect(startOf(last.events, "file:app/big.bin")?.resumeFrom).toBe(kept);
    // Only what was missing is fetched again (a steal near the end may send a little twice).
    expect(s.stats.bytes["/m/big.bin"] ?? 0).toBeLessThanOrEqual(BIG.size - kept + 8 * MiB);
    const blob = cache.blobPath(BIG.sha256);
    expect((await stat(blob)).size).toBe(BIG.size);
    expect((await readFile(blob)).equals(BIG.generate(0, BIG.size))).toBe(true);
  }, 90_000);
});
