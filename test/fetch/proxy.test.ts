// HTTP_PROXY / HTTPS_PROXY / NO_PROXY, through a tiny loopback proxy that counts what it forwards.
import { createServer, request, type Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import type { BundleError } from "../../src/core/errors.ts";
import { fetchOne } from "../../src/fetch/index.ts";
import { tempDir } from "../helpers/tmp.ts";
import { file, options, server } from "./helpers.ts";

const A = file(100_000, 61);

/** A forward proxy for absolute-form GETs and CONNECT tunnels that sends every host to 127.0.0.1 (so made-up names work). */
async function countingProxy(): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const srv: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const u = new URL(req.url!);
    const up = request({ host: "127.0.0.1", port: u.port, path: u.pathname, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  srv.on("connect", (req, sock, head) => {
    seen.push(`CONNECT ${req.url}`);
    const up = connect(Number(req.url!.split(":")[1]), "127.0.0.1", () => {
      sock.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      up.write(head);
      up.pipe(sock).pipe(up);
    });
    up.on("error", () => sock.destroy());
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  afterAll(() => new Promise<void>((r) => srv.close(() => r())));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen };
}

describe("proxies", () => {
  it("sends downloads through HTTP_PROXY", async () => {
    const s = await server({ files: { "/a.bin": A } });
    const p = await countingProxy();
    const url = `http://files.mirror.test:${s.port}/a.bin`; // only the proxy knows this name
    const f = await fetchOne({ id: "a", urls: [url], sha256: A.sha256 }, options(await tempDir(), { env: { HTTP_PROXY: p.url } }));
    expect(f.cached).toBe(false);
    expect(p.seen).toEqual([`GET ${url}`]);
  });

  it("honours the lower-case http_proxy too", async () => {
    const s = await server({ files: { "/a.bin": A } });
    const p = await countingProxy();
    const url = `http://files.mirror.test:${s.port}/a.bin`;
    await fetchOne({ id: "a", urls: [url], sha256: A.sha256 }, options(await tempDir(), { env: { http_proxy: p.url } }));
    expect(p.seen).toHaveLength(1);
  });

  it("never sends loopback mirrors through the proxy", async () => {
    const s = await server({ files: { "/a.bin": A } });
    const p = await countingProxy();
    const f = await fetchOne({ id: "a", urls: [`${s.url}/a.bin`], sha256: A.sha256 }, options(await tempDir(), { env: { HTTP_PROXY: p.url, HTTPS_PROXY: p.url } }));
    expect(f.cached).toBe(false);
    expect(p.seen).toEqual([]);
  });

  it("goes direct for hosts listed in NO_PROXY", async () => {
    const s = await server({ files: { "/a.bin": A } });
    const p = await countingProxy();
    const url = `http://files.mirror.test:${s.port}/a.bin`;
    const e = (await fetchOne({ id: "a", urls: [url], sha256: A.sha256 }, options(await tempDir(), { env: { HTTP_PROXY: p.url, NO_PROXY: ".mirror.test" }, rounds: 1 })).catch((x: unknown) => x)) as BundleError;
    expect(e.code).toBe("NETWORK");
    expect(e.message).toMatch(/host not found/); // it tried DNS itself instead of asking the proxy
    expect(p.seen).toEqual([]);
  });
});
