// HTTP_PROXY / HTTPS_PROXY / NO_PROXY, through a tiny loopback proxy that counts what it forwards.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { join } from "node:path";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import type { BundleError } from "../../src/core/errors.ts";
import { fetchOne } from "../../src/fetch/index.ts";
import { tempDir } from "../helpers/tmp.ts";
import { file, options, server, writeRecipe } from "./helpers.ts";

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

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

  it.skipIf(!hasOpenssl)("downloads https:// mirrors through an HTTPS_PROXY tunnel (CONNECT), trusting NODE_EXTRA_CA_CERTS (needs openssl)", async () => {
    // What users behind a company proxy have: https mirrors, a CONNECT proxy, sometimes their own CA.
    const dir = await tempDir("gb-tls-");
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=files.mirror.test", "-addext", "subjectAltName=DNS:files.mirror.test"], { stdio: "ignore" });
    const B = file(200_000, 62);
    const body = B.generate(0, B.size);
    const tls = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      if (req.url !== "/m/b.bin") return void res.writeHead(404).end();
      res.writeHead(200, { "content-length": body.length, "content-type": "application/octet-stream" }).end(body);
    });
    await new Promise<void>((r) => tls.listen(0, "127.0.0.1", r));
    afterAll(() => new Promise<void>((r) => tls.close(() => r())));
    const port = (tls.address() as AddressInfo).port;
    const p = await countingProxy();
    const base = `https://files.mirror.test:${port}/m`; // only the proxy knows this name
    const recipe = await writeRecipe(dir, [base], {
      python: { path: "", urls: ["mirror://m/b.bin"], sha256: B.sha256 },
      node: { path: "", urls: ["mirror://m/b.bin"], sha256: B.sha256 },
    });
    const env = { PATH: process.env.PATH ?? "", HTTPS_PROXY: p.url, NODE_EXTRA_CA_CERTS: cert };
    const run = (cache: string, extra: Record<string, string> = {}) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const c = spawn(process.execPath, ["bin/bundle.js", "fetch", recipe, "--cache", join(dir, cache)], { env: { ...env, ...extra }, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        c.stdout.on("data", (d) => (out += d));
        c.stderr.on("data", (d) => (out += d));
        c.on("exit", (code) => resolve({ code, out }));
      });
    const r = await run("cache");
    expect(r.code, r.out).toBe(0);
    expect(p.seen).toEqual([`CONNECT files.mirror.test:${port}`]);
    // without the CA the certificate is refused, and the error says which URL
    const bad = await run("cache2", { NODE_EXTRA_CA_CERTS: "" });
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`${base}/b.bin: TLS certificate not accepted (DEPTH_ZERO_SELF_SIGNED_CERT); a proxy that rewrites certificates needs NODE_EXTRA_CA_CERTS`);
  }, 60_000);

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
