// Mirror lists: fallback order, error classes, rounds with backoff, demotion, redirects.
import { stat } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { BundleError } from "../../src/core/errors.ts";
import { fetchAll, fetchOne } from "../../src/fetch/index.ts";
import { tempDir } from "../helpers/tmp.ts";
import { eventsOf, file, options, server } from "./helpers.ts";

const A = file(300_000, 11);

describe("mirror lists", () => {
  it("goes to the next mirror at once on 404 and records which mirror served the file", async () => {
    const s = await server({ files: { "/b/a.bin": A } });
    const o = options(await tempDir());
    const f = await fetchOne({ id: "a", urls: [`${s.url}/a/a.bin`, `${s.url}/b/a.bin`], sha256: A.sha256 }, o);
    expect(f).toMatchObject({ url: `${s.url}/b/a.bin`, size: A.size, cached: false });
    expect((await stat(f.path)).mode & 0o777).toBe(0o444);
    expect(eventsOf(o.events, "download:mirror")).toEqual([{ type: "download:mirror", id: "a", from: `${s.url}/a/a.bin`, to: `${s.url}/b/a.bin`, reason: "HTTP 404" }]);
    expect(eventsOf(o.events, "download:retry")).toEqual([]);
  });

  it("moves on from 500, 503 and a connection reset mid-body to the mirror that works", async () => {
    const s = await server({ files: { "/1/a.bin": A, "/2/a.bin": A, "/3/a.bin": A, "/4/a.bin": A } });
    s.setFault("/1/a.bin", { status: 500 });
    s.setFault("/2/a.bin", { status: 503 });
    s.setFault("/3/a.bin", { resetAfter: 100_000 });
    const o = options(await tempDir());
    const urls = [1, 2, 3, 4].map((i) => `${s.url}/${i}/a.bin`);
    const f = await fetchOne({ id: "a", urls, sha256: A.sha256, size: A.size }, o);
    expect(f.url).toBe(urls[3]);
    expect(eventsOf(o.events, "download:mirror").map((e) => e.reason)).toEqual(["HTTP 500", "HTTP 503", expect.stringMatching(/reset|closed|terminated/)]);
  });

  it("backs off after a whole round of 5xx and tries again, up to the round limit", async () => {
    const s = await server({ files: { "/x/a.bin": A, "/y/a.bin": A } });
    s.setFault("*", { status: 503, times: 4 }); // both mirrors fail in rounds 1 and 2
    const o = options(await tempDir(), { rounds: 3 });
    const f = await fetchOne({ id: "a", urls: [`${s.url}/x/a.bin`, `${s.url}/y/a.bin`], sha256: A.sha256 }, o);
    expect(f.cached).toBe(false);
    expect(eventsOf(o.events, "download:retry").map((e) => e.attempt)).toEqual([2, 3]);
    expect(s.stats.requests.filter((r) => r.status === 503)).toHaveLength(4);
  });

  it("gives up after the last round with an error naming every URL and what each did", async () => {
    const s = await server({ files: { "/x/a.bin": A } });
    s.setFault("/x/a.bin", { status: 500 });
    const o = options(await tempDir(), { rounds: 2 });
    const urls = [`${s.url}/x/a.bin`, `${s.url}/nothing/a.bin`];
    const e = await fetchOne({ id: "a", urls, sha256: A.sha256 }, o).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BundleError);
    const err = e as BundleError;
    expect(err.code).toBe("NETWORK");
    expect(err.message).toContain(`${urls[0]}: HTTP 500 ×2`);
    expect(err.message).toContain(`${urls[1]}: HTTP 404`);
    expect(err.hint).toMatch(/proxy|mirror/);
    expect(s.stats.requests.filter((r) => r.path === "/nothing/a.bin")).toHaveLength(1); // a 404 is not asked again
  });

  it("demotes a failed mirror for the rest of the run: the next file tries it last", async () => {
    const B = file(1000, 12);
    const s = await server({ files: { "/bad/a.bin": A, "/good/a.bin": A, "/bad/b.bin": B, "/good/b.bin": B } });
    s.setFault("/bad/a.bin", { status: 502 });
    const o = options(await tempDir());
    await fetchOne({ id: "a", urls: [`${s.url}/bad/a.bin`, `${s.url}/good/a.bin`], sha256: A.sha256 }, o);
    expect(o.session!.isDemoted(`${s.url}/bad/b.bin`)).toBe(true);
  });

  it("follows a chain of redirects to http(s)", async () => {
    const s = await server({ files: { "/r/a.bin": A } });
    s.setFault("/r/a.bin", { redirect: { hops: 4 } });
    const o = options(await tempDir());
    const f = await fetchOne({ id: "a", urls: [`${s.url}/r/a.bin`], sha256: A.sha256 }, o);
    expect(f.url).toBe(`${s.url}/r/a.bin`); // the mirror URL is recorded, not the redirect target
    expect(s.stats.requests.filter((r) => r.status === 302)).toHaveLength(4);
  });

  it("refuses a redirect to a non-http scheme and to an endless chain, without retrying them", async () => {
    const s = await server({ files: { "/f/a.bin": A, "/loop/a.bin": A } });
    s.setFault("/f/a.bin", { redirect: { hops: 1, to: "file:///etc/passwd" } });
    s.setFault("/loop/a.bin", { redirect: { hops: 50 } });
    const o = options(await tempDir(), { rounds: 3 });
    const e = (await fetchOne({ id: "a", urls: [`${s.url}/f/a.bin`, `${s.url}/loop/a.bin`], sha256: A.sha256 }, o).catch((x: unknown) => x)) as BundleError;
    expect(e.code).toBe("NETWORK");
    expect(e.message).toMatch(/\/f\/a\.bin: redirect to file: refused/);
    expect(e.message).toMatch(/\/loop\/a\.bin: more than 10 redirects/);
    expect(eventsOf(o.events, "download:retry")).toEqual([]);
  });

  it("treats a truncated body as a network failure and lets the next mirror resume the partial", async () => {
    const s = await server({ files: { "/t/a.bin": A, "/ok/a.bin": A } });
    s.setFault("/t/a.bin", { truncateAfter: 200_000 });
    const o = options(await tempDir());
    const f = await fetchOne({ id: "a", urls: [`${s.url}/t/a.bin`, `${s.url}/ok/a.bin`], sha256: A.sha256, size: A.size }, o);
    expect(f.url).toBe(`${s.url}/ok/a.bin`);
    const resumed = eventsOf(o.events, "download:start").find((e) => e.url.endsWith("/ok/a.bin"));
    expect(resumed?.resumeFrom).toBeGreaterThan(0);
    expect(s.stats.bytes["/ok/a.bin"]).toBe(A.size - resumed!.resumeFrom!);
  });

  it("times out a silent server and tries the next mirror", async () => {
    const s = await server({ files: { "/slow/a.bin": A, "/ok/a.bin": A } });
    s.setFault("/slow/a.bin", { delayMs: 2000 });
    const o = options(await tempDir(), { timeouts: { headersMs: 200, bodyMs: 200 } });
    const f = await fetchOne({ id: "a", urls: [`${s.url}/slow/a.bin`, `${s.url}/ok/a.bin`], sha256: A.sha256 }, o);
    expect(f.url).toBe(`${s.url}/ok/a.bin`);
    expect(eventsOf(o.events, "download:mirror")[0]?.reason).toMatch(/timed out/);
  });
});

describe("scheduling", () => {
  it("keeps at most perHost connections to one host, for many files and for the ranges of one large file", async () => {
    const files = Array.from({ length: 8 }, (_, i) => file(300_000, 80 + i));
    const big = file(4_000_000, 90);
    const s = await server({ files: { ...Object.fromEntries(files.map((f, i) => [`/f${i}.bin`, f])), "/big.bin": big } });
    s.setFault("*", { throttle: 1_000_000 }); // slow enough for the downloads to overlap
    const o = options(await tempDir(), { jobs: 8, perHost: 3, segments: 6, segmentThreshold: 1 << 20 });
    await fetchAll([...files.map((f, i) => ({ id: `f${i}`, urls: [`${s.url}/f${i}.bin`], sha256: f.sha256, size: f.size })), { id: "big", urls: [`${s.url}/big.bin`], sha256: big.sha256, size: big.size }], o);
    expect(s.stats.peak).toBe(3); // reached, never passed
    expect(s.stats.requests.filter((q) => q.path === "/big.bin" && q.range).length).toBeGreaterThan(1); // segmented still
  }, 60_000);
});
