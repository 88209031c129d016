// Small documents (index pages), ranged reads and trust-on-first-use downloads for `bundle lock`.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { BundleError } from "../../src/core/errors.ts";
import { fetchUnpinned, FetchSession, getDocument, readRange } from "../../src/fetch/index.ts";
import { keys } from "../../src/cache/index.ts";
import { Cache } from "../../src/cache/store.ts";
import { tempDir } from "../helpers/tmp.ts";
import { file, options, server } from "./helpers.ts";

const PAGE = Buffer.from('<a href="../../packages/x-1.0-py3-none-any.whl#sha256=00">x</a>\n');
const WHEEL = file(200_000, 71);
const tiny = { backoff: { minMs: 1, maxMs: 2 }, env: {} };

describe("getDocument", () => {
  it("returns the page from the first mirror that has it, with the URL to resolve links against", async () => {
    const s = await server({ files: { "/b/simple/x/": PAGE } });
    const d = await getDocument([`${s.url}/a/simple/x/`, `${s.url}/b/simple/x/`], { ...tiny, session: new FetchSession(), accept: "text/html" });
    expect(d).toMatchObject({ url: `${s.url}/b/simple/x/`, mirror: `${s.url}/b/simple/x/`, status: 200, contentType: "application/octet-stream" });
    expect(d.body.equals(PAGE)).toBe(true);
  });

  it("follows a redirect and reports where it ended", async () => {
    const s = await server({ files: { "/simple/x/": PAGE } });
    s.setFault("/simple/x/", { redirect: { hops: 1 } });
    const d = await getDocument([`${s.url}/simple/x/`], { ...tiny, session: new FetchSession() });
    expect(d.url).toBe(`${s.url}/__direct/simple/x/`);
    expect(d.mirror).toBe(`${s.url}/simple/x/`);
  });

  it("fails listing every mirror when none has the page, marked notFound", async () => {
    const s = await server({ files: {} });
    const urls = [`${s.url}/a/simple/x/`, `${s.url}/b/simple/x/`];
    const e = (await getDocument(urls, { ...tiny, session: new FetchSession() }).catch((x: unknown) => x)) as BundleError;
    expect(e).toBeInstanceOf(BundleError);
    expect(e.details).toMatchObject({ notFound: true });
    for (const u of urls) expect(e.message).toContain(`${u}: HTTP 404`);
  });

  it("retries a mirror that answered 503 in the next round", async () => {
    const s = await server({ files: { "/simple/x/": PAGE } });
    s.setFault("/simple/x/", { status: 503, times: 1 });
    const d = await getDocument([`${s.url}/simple/x/`], { ...tiny, session: new FetchSession() });
    expect(d.body.equals(PAGE)).toBe(true);
  });
});

describe("readRange", () => {
  it("reads a range and the last bytes of a file, with its total size", async () => {
    const s = await server({ files: { "/w.whl": WHEEL } });
    const mid = await readRange(`${s.url}/w.whl`, 1000, 500, { ...tiny, session: new FetchSession() });
    expect(mid.body.equals(WHEEL.generate(1000, 500))).toBe(true);
    expect(mid.total).toBe(WHEEL.size);
    const tail = await readRange(`${s.url}/w.whl`, 4096, "suffix", { ...tiny, session: new FetchSession() });
    expect(tail.body.equals(WHEEL.generate(WHEEL.size - 4096, 4096))).toBe(true);
    expect(s.stats.totalBytes).toBe(500 + 4096);
  });

  it("fails clearly when the server ignores Range", async () => {
    const s = await server({ files: { "/w.whl": WHEEL } });
    s.setFault("/w.whl", { ignoreRange: true });
    const e = (await readRange(`${s.url}/w.whl`, 0, 10, { ...tiny, session: new FetchSession() }).catch((x: unknown) => x)) as BundleError;
    expect(e.message).toMatch(/ignores Range requests/);
    expect(e.details).toMatchObject({ rangeIgnored: true });
  });
});

describe("fetchUnpinned", () => {
  it("stores a file by the digest it computed, records the URL, and reuses it next time", async () => {
    const s = await server({ files: { "/b/w.whl": WHEEL } });
    const cacheDir = await tempDir();
    const urls = [`${s.url}/a/w.whl`, `${s.url}/b/w.whl`];
    const f = await fetchUnpinned({ id: "python", urls }, options(cacheDir));
    expect(f).toMatchObject({ sha256: WHEEL.sha256, size: WHEEL.size, url: urls[1], cached: false });
    expect((await readFile(f.path)).equals(WHEEL.generate(0, WHEEL.size))).toBe(true);
    expect(await new Cache(cacheDir).lookup(keys.url(urls[1]!))).toBe(WHEEL.sha256);
    s.stats.reset();
    const again = await fetchUnpinned({ id: "python", urls }, options(cacheDir, { offline: true }));
    expect(again).toMatchObject({ sha256: WHEEL.sha256, cached: true });
    expect(s.stats.requests).toEqual([]);
  });
});
