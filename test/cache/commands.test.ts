// bundle cache ls | verify | gc, and the gc decision.
import { chmod, readdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Cache, planGc, type Entry } from "../../src/cache/index.ts";
import { fetchAll } from "../../src/fetch/index.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { file, options, server, writeRecipe } from "../fetch/helpers.ts";

const PY = file(30_000, 81);
const NODE = file(40_000, 82);
const OLD = file(50_000, 83);

async function filledCache() {
  const dir = await tempDir();
  const s = await server({ files: { "/m/python.tar.gz": PY, "/m/node.tar.gz": NODE, "/m/old.bin": OLD } });
  const recipe = await writeRecipe(dir, [`${s.url}/m`], {
    python: { path: "", urls: ["mirror://m/python.tar.gz"], sha256: PY.sha256 },
    node: { path: "", urls: ["mirror://m/node.tar.gz"], sha256: NODE.sha256 },
  });
  const cacheDir = join(dir, "cache");
  await fetchAll(
    [PY, NODE, OLD].map((f, i) => ({ id: `f${i}`, urls: [`${s.url}/m/${["python.tar.gz", "node.tar.gz", "old.bin"][i]}`], sha256: f.sha256 })),
    options(cacheDir),
  );
  return { dir, recipe, cacheDir, cache: new Cache(cacheDir) };
}

describe("bundle cache", () => {
  it("ls lists every blob with its size, last use and source URL", async () => {
    const w = await filledCache();
    const r = await runCli(["cache", "ls", "--cache", w.cacheDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: 3 blob\(s\), 117\.2 KiB/);
    expect(r.stdout).toMatch(new RegExp(`${OLD.sha256.slice(0, 12)}\\s+48\\.8 KiB\\s+now\\s+http://127\\.0\\.0\\.1:\\d+/m/old\\.bin`));
    const j = JSON.parse((await runCli(["cache", "ls", "--cache", w.cacheDir, "--json"])).stdout) as { entries: { sha256: string; url: string }[] };
    expect(j.entries.map((e) => e.sha256).sort()).toEqual([PY.sha256, NODE.sha256, OLD.sha256].sort());
    expect(j.entries.every((e) => e.url.startsWith("http://127.0.0.1:"))).toBe(true);
  });

  it("verify re-hashes everything, evicts a corrupt blob and exits 1", async () => {
    const w = await filledCache();
    expect((await runCli(["cache", "verify", "--cache", w.cacheDir])).code).toBe(0);
    const p = w.cache.blobPath(NODE.sha256);
    await chmod(p, 0o644);
    await writeFile(p, Buffer.alloc(NODE.size, 1));
    const r = await runCli(["cache", "verify", "--cache", w.cacheDir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/3 blob\(s\) re-hashed .*, 1 corrupt and evicted:/);
    expect(r.stdout).toContain(`${p}: sha256 mismatch`);
    expect(await w.cache.has(NODE.sha256)).toBe(false);
    expect(await w.cache.has(PY.sha256)).toBe(true);
  });

  it("gc keeps what the recipe needs on all its platforms and drops the rest (dry run first)", async () => {
    const w = await filledCache();
    const dry = await runCli(["cache", "gc", w.recipe, "--cache", w.cacheDir, "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would remove 1 blob\(s\), 48\.8 KiB/);
    expect(await w.cache.has(OLD.sha256)).toBe(true);
    const r = await runCli(["cache", "gc", w.recipe, "--cache", w.cacheDir]);
    expect(r.stdout).toMatch(/removed 1 blob\(s\)/);
    expect(await w.cache.has(OLD.sha256)).toBe(false);
    expect(await w.cache.has(PY.sha256)).toBe(true);
    expect(await w.cache.has(NODE.sha256)).toBe(true);
  });

  it("gc --older-than drops what was not used for that many days", async () => {
    const w = await filledCache();
    const rec = join(w.cacheDir, "index-v1", "blobs", OLD.sha256.slice(0, 2), `${OLD.sha256}.json`);
    const long = new Date(Date.now() - 40 * 86_400_000);
    await utimes(rec, long, long);
    const r = await runCli(["cache", "gc", "--older-than", "30", "--cache", w.cacheDir]);
    expect(r.stdout).toMatch(/removed 1 blob/);
    expect(await w.cache.has(OLD.sha256)).toBe(false);
    expect(await w.cache.has(PY.sha256)).toBe(true);
  });

  it("gc without recipes or --older-than is a usage error", async () => {
    const r = await runCli(["cache", "gc", "--cache", await tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs recipes to keep, or --older-than DAYS/);
  });

  it("gc removes partial downloads nobody needs", async () => {
    const w = await filledCache();
    await writeFile(w.cache.partialPath("e".repeat(64)), "half");
    await runCli(["cache", "gc", w.recipe, "--cache", w.cacheDir]);
    expect(await readdir(join(w.cacheDir, "tmp", "partial"))).toEqual([]);
  });
});

describe("planGc", () => {
  const e = (sha: string, lastUsed: number, from?: string): Entry => ({ sha256: sha, size: 1, path: sha, added: 0, lastUsed, from, keys: [] });
  const now = 100 * 86_400_000;
  const all = [e("a", now), e("b", 0), e("c", now, "a"), e("d", now)];

  it("keeps what recipes need and what was made from it", () => {
    expect(planGc(all, { keep: new Set(["a"]), now }).remove.map((x) => x.sha256)).toEqual(["b", "d"]);
  });

  it("with both rules, drops only what no recipe needs and was not used for long", () => {
    expect(planGc(all, { keep: new Set(["a"]), olderThanMs: 86_400_000, now }).remove.map((x) => x.sha256)).toEqual(["b"]);
    expect(planGc(all, { olderThanMs: 86_400_000, now }).remove.map((x) => x.sha256)).toEqual(["b"]);
  });
});
