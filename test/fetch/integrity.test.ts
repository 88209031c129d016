// Bytes that do not match the expected sha256/size never enter the cache and are never asked again.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BundleError } from "../../src/core/errors.ts";
import { fetchOne } from "../../src/fetch/index.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { file, options, server, writeRecipe } from "./helpers.ts";

const A = file(400_000, 21);

async function blobs(cacheDir: string): Promise<string[]> {
  try {
    return (await readdir(join(cacheDir, "content-v1"), { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
  } catch {
    return [];
  }
}

describe("integrity", () => {
  it("skips a mirror serving wrong bytes of the right length, never retries it, and caches only the good bytes", async () => {
    const s = await server({ files: { "/evil/a.bin": A, "/good/a.bin": A } });
    s.setFault("/evil/a.bin", { corrupt: true });
    const cacheDir = await tempDir();
    const o = options(cacheDir, { rounds: 3 });
    const f = await fetchOne({ id: "a", urls: [`${s.url}/evil/a.bin`, `${s.url}/good/a.bin`], sha256: A.sha256, size: A.size }, o);
    expect(f.url).toBe(`${s.url}/good/a.bin`);
    expect(s.stats.requests.filter((r) => r.path === "/evil/a.bin")).toHaveLength(1);
    expect((await readFile(f.path)).equals(A.generate(0, A.size))).toBe(true);
    expect(await blobs(cacheDir)).toHaveLength(1);
  });

  it("fails with INTEGRITY when every mirror serves other bytes, leaving nothing in the cache", async () => {
    const s = await server({ files: { "/x/a.bin": A } });
    s.setFault("*", { corrupt: true });
    const cacheDir = await tempDir();
    const e = (await fetchOne({ id: "a", urls: [`${s.url}/x/a.bin`], sha256: A.sha256 }, options(cacheDir, { rounds: 3 })).catch((x: unknown) => x)) as BundleError;
    expect(e.code).toBe("INTEGRITY");
    expect(e.message).toContain(`${s.url}/x/a.bin: sha256 mismatch: expected ${A.sha256}`);
    expect(e.hint).toMatch(/retrying cannot help/);
    expect(await blobs(cacheDir)).toEqual([]);
    expect(await readdir(join(cacheDir, "tmp", "partial"))).toEqual([]);
    expect(s.stats.requests).toHaveLength(1);
  });

  it("rejects a server announcing another size before reading its body", async () => {
    const other = file(5_000_000, 22);
    const s = await server({ files: { "/x/a.bin": other }, throttle: { perConnection: 2_000_000 } });
    const cacheDir = await tempDir();
    const e = (await fetchOne({ id: "a", urls: [`${s.url}/x/a.bin`], sha256: A.sha256, size: A.size }, options(cacheDir)).catch((x: unknown) => x)) as BundleError;
    expect(e.code).toBe("INTEGRITY");
    expect(e.message).toMatch(/size mismatch: expected 400000 bytes, the server announces 5000000/);
    expect(s.stats.totalBytes).toBeLessThan(other.size / 2);
  });

  it("bundle fetch exits 1 naming the URL when the bytes do not match, and stores nothing", async () => {
    const dir = await tempDir();
    const py = file(50_000, 23);
    const node = file(60_000, 24);
    const s = await server({ files: { "/m/python.tar.gz": py, "/m/node.tar.gz": node } });
    s.setFault("/m/node.tar.gz", { corrupt: true });
    const recipe = await writeRecipe(dir, [`${s.url}/m`], {
      python: { path: "", urls: ["mirror://m/python.tar.gz"], sha256: py.sha256 },
      node: { path: "", urls: ["mirror://m/node.tar.gz"], sha256: node.sha256 },
    });
    const cacheDir = join(dir, "cache");
    const r = await runCli(["fetch", recipe, "--cache", cacheDir], { env: {} });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: could not download node (sha256 ${node.sha256.slice(0, 12)}…): no mirror served the expected bytes`);
    expect(r.stderr).toContain(`${s.url}/m/node.tar.gz: sha256 mismatch`);
    expect(await blobs(cacheDir)).toHaveLength(1); // python only
  });
});
