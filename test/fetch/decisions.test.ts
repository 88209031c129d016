// Unit tests of the fetch engine's decision code: pieces, outcome classes, mirror order, proxy env.
import { describe, expect, it } from "vitest";
import { parseRange } from "../../src/demo/http-server.ts";
import { Semaphore } from "../../src/fetch/limits.ts";
import { statusKind, summarizeAttempts, toAttemptError } from "../../src/fetch/outcome.ts";
import { claim, contiguousEnd, doneBytes, fromState, initialPieces, pieceSizeFor, steal, toState } from "../../src/fetch/pieces.ts";
import { FetchSession, proxyEnv } from "../../src/fetch/session.ts";
import { parseContentRange } from "../../src/fetch/stream.ts";
import { integrityProblem, TooLargeError } from "../../src/integrity/sha256.ts";

const MiB = 1 << 20;

describe("pieces", () => {
  it("cuts a file into about four pieces per connection, 1 to 32 MiB each", () => {
    expect(pieceSizeFor(1024 * MiB, 8)).toBe(32 * MiB);
    expect(pieceSizeFor(100 * MiB, 8)).toBe(Math.ceil((100 * MiB) / 32 / 65536) * 65536);
    expect(pieceSizeFor(3 * MiB, 8)).toBe(MiB);
  });

  it("counts a sequential partial as done pieces and one half-done piece", () => {
    const p = initialPieces(10, 4, 6);
    expect(p).toEqual([{ start: 0, end: 4, pos: 4 }, { start: 4, end: 8, pos: 6 }, { start: 8, end: 10, pos: 8 }]);
    expect(contiguousEnd(p)).toBe(6);
    expect(doneBytes(p)).toBe(6);
  });

  it("hands out the lowest free piece, then splits the piece with the most left", () => {
    const p = initialPieces(8 * MiB, 4 * MiB);
    expect(claim(p, 1)?.start).toBe(0);
    expect(claim(p, 2)?.start).toBe(4 * MiB);
    expect(claim(p, 3)).toBeUndefined();
    p[1]!.pos = 5 * MiB;
    const t = steal(p, 3, MiB)!;
    expect(t).toMatchObject({ start: 2 * MiB, end: 4 * MiB, owner: 3 }); // piece 0 has 4 MiB left, piece 1 has 3
    expect(p[0]!.end).toBe(2 * MiB);
    expect(p.map((x) => x.start)).toEqual([0, 2 * MiB, 4 * MiB]);
  });

  it("never splits below a write in flight, nor a piece with little left", () => {
    const p = initialPieces(4 * MiB, 4 * MiB);
    claim(p, 1);
    p[0]!.writing = 3 * MiB;
    expect(steal(p, 2, MiB)).toBeUndefined(); // 1 MiB left after the write: not worth a connection
  });

  it("round-trips its state and rejects state for another file or with gaps", () => {
    const p = initialPieces(10, 4, 5);
    const s = toState("ab".repeat(32), 10, p);
    expect(fromState(JSON.parse(JSON.stringify(s)), "ab".repeat(32), 10)).toEqual(p);
    expect(fromState(s, "cd".repeat(32), 10)).toBeUndefined();
    expect(fromState({ ...s, pieces: [[0, 4, 4], [5, 10, 5]] }, "ab".repeat(32), 10)).toBeUndefined();
    expect(fromState({ ...s, pieces: [[0, 10, 11]] }, "ab".repeat(32), 10)).toBeUndefined();
  });
});

describe("outcomes", () => {
  it("classifies statuses: 404/410 next mirror, 5xx/429/408 transient, other 4xx refused", () => {
    expect([404, 410, 500, 503, 429, 408, 403, 401].map(statusKind)).toEqual(["not-found", "not-found", "transient", "transient", "transient", "transient", "refused", "refused"]);
  });

  it("classifies thrown errors where they arise", () => {
    const err = (code: string) => Object.assign(new Error("x"), { code });
    expect(toAttemptError(err("ECONNRESET"), "u", 10).message).toBe("connection reset after 10 bytes");
    expect(toAttemptError(err("UND_ERR_BODY_TIMEOUT"), "u").kind).toBe("transient");
    expect(toAttemptError(err("ENOTFOUND"), "u").message).toMatch(/host not found/);
    expect(toAttemptError(new TooLargeError(5, 9), "u").kind).toBe("integrity");
  });

  it("summarises attempts per URL, counting repeats", () => {
    const a = (url: string, reason: string, round: number) => ({ url, reason, round, kind: "transient" as const });
    expect(summarizeAttempts([a("x", "HTTP 503", 1), a("y", "HTTP 404", 1), a("x", "HTTP 503", 2), a("x", "connection reset", 3)])).toEqual([
      { url: "x", what: "HTTP 503 ×2; connection reset" },
      { url: "y", what: "HTTP 404" },
    ]);
  });

  it("checks the size before the digest", () => {
    expect(integrityProblem({ sha256: "a".repeat(64), size: 3 }, { sha256: "b".repeat(64), size: 4 })).toMatch(/^size mismatch/);
    expect(integrityProblem({ sha256: "A".repeat(64) }, { sha256: "a".repeat(64), size: 4 })).toBeUndefined();
  });

  it("parses Content-Range and Range headers", () => {
    expect(parseContentRange("bytes 10-19/100")).toEqual({ start: 10, end: 19, total: 100 });
    expect(parseContentRange("bytes 10-19/*")).toEqual({ start: 10, end: 19, total: undefined });
    expect(parseContentRange("items 1-2/3")).toBeUndefined();
    expect(parseRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=100-", 100)).toBe("bad");
  });
});

describe("session", () => {
  it("keeps the recipe's mirror order but moves demoted mirrors last", () => {
    const s = new FetchSession();
    s.demote("http://a.example/x/1");
    expect(s.order(["http://a.example/f", "http://b.example/f", "http://c.example/f"])).toEqual(["http://b.example/f", "http://c.example/f", "http://a.example/f"]);
  });

  it("reads proxies like curl and always lets loopback bypass them", () => {
    expect(proxyEnv({ HTTPS_PROXY: "http://p:3128", no_proxy: "corp.example" })).toEqual({ httpProxy: "", httpsProxy: "http://p:3128", noProxy: "corp.example,localhost,127.0.0.1,::1" });
    expect(proxyEnv({ http_proxy: "http://low", HTTP_PROXY: "http://up" }).httpProxy).toBe("http://low");
  });

  it("limits concurrency and lets waiters in as slots free up", async () => {
    const sem = new Semaphore(2);
    const r1 = await sem.acquire();
    await sem.acquire();
    let third = false;
    const p = sem.acquire().then(() => (third = true));
    await Promise.resolve();
    expect(third).toBe(false);
    r1();
    await p;
    expect(sem.inUse).toBe(2);
  });
});
