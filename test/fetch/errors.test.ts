// How failed attempts are said: a server that never answers, TLS at a plain-HTTP port. One line
// per URL, in words, and no wait spent twice on a server that has already shown it hangs.
import { createServer as createHttpServer } from "node:http";
import { createServer, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { fetchOne } from "../../src/fetch/index.ts";
import { tempDir } from "../helpers/tmp.ts";
import { file, options } from "./helpers.ts";
import { bundleFailure } from "../helpers/failure.ts";

const A = file(10_000, 5);

/** A TCP server that reads requests and never answers; counts the requests it saw. */
async function silentServer(): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const srv = createServer((c) => {
    sockets.add(c);
    c.on("data", (d) => (requests += (d.toString("latin1").match(/^(GET|HEAD) /gm) ?? []).length));
    c.on("close", () => sockets.delete(c));
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  afterAll(() => {
    for (const s of sockets) s.destroy();
    srv.close();
  });
  return { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`, requests: () => requests };
}

const failure = (p: Promise<unknown>) => bundleFailure(p, "the fetch");

describe("attempts that fail without an HTTP status", () => {
  it("says a silent Hugging-Face-style mirror never answered, and asks it once per round (no HEAD then GET)", async () => {
    const s = await silentServer();
    const o = options(await tempDir(), { rounds: 2, timeouts: { headersMs: 150, bodyMs: 150 } });
    const e = await failure(fetchOne({ id: "model", urls: [`${s.url}/org/m/resolve/main/model.bin`], sha256: A.sha256 }, o));
    expect(e.code).toBe("NETWORK");
    expect(e.message).toContain(`${s.url}/org/m/resolve/main/model.bin: timed out: the server accepted the connection but never answered (UND_ERR_HEADERS_TIMEOUT) ×2`);
    expect(s.requests()).toBe(2);
  });

  it("says an https:// URL at a plain-HTTP port is a TLS handshake failure, on one line", async () => {
    const plain = createHttpServer((_q, r) => r.end("plain"));
    await new Promise<void>((r) => plain.listen(0, "127.0.0.1", r));
    afterAll(() => plain.close());
    const url = `https://127.0.0.1:${(plain.address() as { port: number }).port}/a.bin`;
    const e = await failure(fetchOne({ id: "a", urls: [url], sha256: A.sha256 }, options(await tempDir(), { rounds: 1 })));
    const line = e.message.split("\n").find((l) => l.includes(url))!;
    expect(line).toMatch(/TLS handshake failed \((ERR_SSL_WRONG_VERSION_NUMBER|EPROTO)\): the server does not speak HTTPS there; is the mirror an http:\/\/ URL\?$/);
    expect(e.message).not.toContain("openssl");
  });
});
