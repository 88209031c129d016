// Blobs changed on disk after they were stored (a hardlinked bundle copy edited in place, a tool
// that ignored the read-only bit): no stage may use them under a digest they no longer have.
import { chmod, readFile, stat, truncate, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Cache } from "../../src/cache/index.ts";
import { fetchOne } from "../../src/fetch/index.ts";
import { hashFile } from "../../src/integrity/sha256.ts";
import { tempDir } from "../helpers/tmp.ts";
import { eventsOf, file, options, server } from "../fetch/helpers.ts";

const A = file(50_000, 3);

async function editInPlace(path: string, at: number): Promise<void> {
  await chmod(path, 0o644);
  const bytes = await readFile(path);
  bytes[at] = bytes[at]! ^ 0xff;
  await writeFile(path, bytes);
  await chmod(path, 0o444);
}

describe("a cached blob changed on disk", () => {
  it("is re-hashed, evicted and downloaded again when its bytes changed but not its size", async () => {
    const s = await server({ files: { "/a.bin": A } });
    const dir = await tempDir("gb-tamper-");
    const first = await fetchOne({ id: "a", urls: [`${s.url}/a.bin`], sha256: A.sha256 }, options(dir));
    await editInPlace(first.path, 1234);
    const o = options(dir);
    const again = await fetchOne({ id: "a", urls: [`${s.url}/a.bin`], sha256: A.sha256 }, o);
    expect(again.cached).toBe(false);
    expect((await hashFile(again.path)).sha256).toBe(A.sha256);
    const [warning] = eventsOf(o.events, "warning");
    expect(warning?.message).toMatch(/^a: .* changed on disk since it was stored \(sha256 mismatch: .*\); it was evicted; downloading it again$/);
    expect(warning?.hint).toMatch(/bundle cache verify/);
  });

  it("is evicted when it was truncated, with or without a size in the request", async () => {
    const s = await server({ files: { "/a.bin": A } });
    const dir = await tempDir("gb-tamper-");
    const first = await fetchOne({ id: "a", urls: [`${s.url}/a.bin`], sha256: A.sha256 }, options(dir));
    await chmod(first.path, 0o644);
    await truncate(first.path, 100);
    const cache = new Cache(dir);
    expect(await cache.check(A.sha256)).toMatchObject({ ok: false, evicted: expect.stringMatching(/size mismatch: expected 50000 bytes, got 100/) });
    expect(await cache.has(A.sha256)).toBe(false);
  });

  it("is kept without a download when only its mtime changed and the bytes still match, and re-stamped", async () => {
    const s = await server({ files: { "/a.bin": A } });
    const dir = await tempDir("gb-tamper-");
    const first = await fetchOne({ id: "a", urls: [`${s.url}/a.bin`], sha256: A.sha256 }, options(dir));
    await utimes(first.path, new Date(), new Date(Date.UTC(2001, 0, 1)));
    const o = options(dir);
    const again = await fetchOne({ id: "a", urls: [`${s.url}/a.bin`], sha256: A.sha256 }, o);
    expect(again.cached).toBe(true);
    expect(eventsOf(o.events, "warning")).toEqual([]);
    expect((await new Cache(dir).meta(A.sha256))?.mtimeMs).toBe((await stat(first.path)).mtimeMs);
  });
});
