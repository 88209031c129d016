// A loopback package index for tests and the demo world: the simple repository API as PyPI and
// its mirrors serve it. PEP 503 HTML and PEP 691 JSON chosen by the Accept header, `#sha256=`
// fragments, data-requires-python, PEP 592 data-yanked, optional PEP 658/714 `.metadata` files,
// PyPI-style /packages/… file paths linked relatively (as Tsinghua does) or absolutely, Range
// support for the closure check's reads of a wheel's central directory, and a flat find-links page
// without hashes (as the Chinese PyTorch mirrors serve). Every request is logged for assertions.

import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { normalizeName } from "../python/pep508.ts";
import { JSON_TYPE } from "../python/simple-index.ts";
import { parseWheelFilename } from "../python/tags.ts";

export interface IndexedFile {
  filename: string;
  data: Buffer;
  requiresPython?: string;
  /** PEP 592: true, or the reason. */
  yanked?: string | true;
  /** Serve `<file>.metadata` (PEP 658); default: the server's `metadata` option, wheels only. */
  metadata?: boolean;
  /** Leave the hash off the index page. */
  noHash?: boolean;
}

export interface PypiServerOptions {
  files?: IndexedFile[];
  /** Serve every .whl, .tar.gz and .zip of this folder too. */
  folder?: string;
  /** Formats the simple API offers (default both); ["html"] behaves like most Chinese mirrors. */
  formats?: ("html" | "json")[];
  /** Offer PEP 658 metadata files for wheels. */
  metadata?: boolean;
  /** How project pages link files: "relative" (../../packages/…) or "absolute" (http://host/packages/…). */
  links?: "relative" | "absolute";
  /** Answer Range requests with the whole file (a mirror that ignores Range). */
  ignoreRange?: boolean;
}

export interface PypiRequest {
  method: string;
  path: string;
  accept?: string;
  range?: string;
  status: number;
}

export interface PypiServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The index root: `<url>/simple` (a mirror-list base URL). */
  simple: string;
  /** The flat find-links page: `<url>/flat`. */
  flat: string;
  /** The same files as one page file linking into a subfolder, like download.pytorch.org's `whl/torch_stable.html`. */
  flatPage: string;
  requests: PypiRequest[];
  add(file: IndexedFile): Promise<void>;
  remove(filename: string): void;
  close(): Promise<void>;
}

interface Entry extends IndexedFile {
  project: string;
  sha256: string;
  path: string;
  metadataText?: string;
}

/** The project of a wheel or sdist file name (PEP 503 normalised). */
export function projectOf(filename: string): string | undefined {
  const w = parseWheelFilename(filename);
  if (w) return w.name;
  const m = /^(.+)-[^-]+\.(tar\.gz|zip|tar\.bz2)$/.exec(filename);
  return m ? normalizeName(m[1]!) : undefined;
}

/** METADATA of a wheel held in memory. */
export async function wheelMetadata(data: Buffer): Promise<string | undefined> {
  const yauzl = await import("yauzl");
  const zip = await new Promise<import("yauzl").ZipFile>((res, rej) => yauzl.fromBuffer(data, { lazyEntries: true }, (e, z) => (e ? rej(e) : res(z))));
  return new Promise((res, rej) => {
    zip.on("entry", (entry: import("yauzl").Entry) => {
      if (!/^[^/]+\.dist-info\/METADATA$/.test(entry.fileName)) return zip.readEntry();
      zip.openReadStream(entry, async (e, s) => {
        if (e) return rej(e);
        const parts: Buffer[] = [];
        for await (const c of s) parts.push(c as Buffer);
        zip.close();
        res(Buffer.concat(parts).toString("utf8"));
      });
    });
    zip.on("end", () => res(undefined));
    zip.on("error", rej);
    zip.readEntry();
  });
}

type Send = (status: number, type: string, body: Buffer | string, headers?: Record<string, string>) => void;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/** Which format an Accept header prefers among those offered (PEP 691 "Version + Format Selection"). */
export function negotiate(accept: string | undefined, offered: ("html" | "json")[]): "html" | "json" | undefined {
  if (!accept) return offered.includes("html") ? "html" : offered[0];
  let best: { f: "html" | "json"; q: number } | undefined;
  for (const part of accept.split(",")) {
    const [type, ...params] = part.trim().split(";").map((s) => s.trim());
    const q = Number(params.find((p) => p.startsWith("q="))?.slice(2) ?? "1");
    const f = type === JSON_TYPE || type === "application/vnd.pypi.simple.latest+json" ? "json"
      : type === "text/html" || type === "application/vnd.pypi.simple.v1+html" || type === "application/vnd.pypi.simple.latest+html" || type === "*/*" ? "html" : undefined;
    if (f && offered.includes(f) && q > 0 && (!best || q > best.q)) best = { f, q };
  }
  return best?.f;
}

export async function startPypiServer(opts: PypiServerOptions = {}): Promise<PypiServer> {
  const formats = opts.formats ?? ["html", "json"];
  const entries = new Map<string, Entry>();
  const add = async (f: IndexedFile) => {
    const project = projectOf(f.filename);
    if (!project) throw new Error(`cannot tell the project of ${f.filename}`);
    const digest = sha(f.data);
    const wantMd = (f.metadata ?? opts.metadata ?? false) && f.filename.endsWith(".whl");
    const metadataText = wantMd ? await wheelMetadata(f.data) : undefined;
    entries.set(f.filename, { ...f, project, sha256: digest, path: `/packages/${digest.slice(0, 2)}/${digest.slice(2, 4)}/${digest.slice(4)}/${encodeURIComponent(f.filename)}`, ...(metadataText ? { metadataText } : {}) });
  };
  for (const f of opts.files ?? []) await add(f);
  if (opts.folder) {
    for (const n of (await readdir(opts.folder)).sort()) if (/\.(whl|tar\.gz|zip)$/.test(n)) await add({ filename: n, data: await readFile(join(opts.folder, n)) });
  }
  const requests: PypiRequest[] = [];
  let base = "";
  const server = createServer((req, res) => {
    const log: PypiRequest = { method: req.method ?? "GET", path: req.url ?? "/", status: 200 };
    if (req.headers.accept) log.accept = req.headers.accept;
    if (req.headers.range) log.range = req.headers.range;
    requests.push(log);
    const send = (status: number, type: string, body: Buffer | string, headers: Record<string, string> = {}) => {
      log.status = status;
      const b = typeof body === "string" ? Buffer.from(body) : body;
      res.writeHead(status, { "content-type": type, "content-length": String(b.length), ...headers });
      res.end(req.method === "HEAD" ? undefined : b);
    };
    try {
      route(req, res, send);
    } catch (e) {
      send(500, "text/plain", String(e));
    }
  });
  const route = (req: IncomingMessage, _res: ServerResponse, send: Send) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!);
    const projects = () => [...new Set([...entries.values()].map((e) => e.project))].sort();
    if (path === "/simple" || path === "/simple/") {
      const links = projects().map((p) => `<a href="${p}/">${p}</a>`).join("\n");
      return send(200, "text/html", `<!DOCTYPE html><html><body>\n${links}\n</body></html>\n`);
    }
    const proj = /^\/simple\/([^/]+)(\/?)$/.exec(path);
    if (proj) {
      const key = normalizeName(proj[1]!);
      if (key !== proj[1] || !proj[2]) return send(301, "text/plain", "", { location: `/simple/${key}/` });
      const files = [...entries.values()].filter((e) => e.project === key).sort((a, b) => (a.filename < b.filename ? -1 : 1));
      if (files.length === 0) return send(404, "text/plain", `no project ${key}\n`);
      const format = negotiate(req.headers.accept, formats);
      if (!format) return send(406, "text/plain", "not acceptable\n");
      return format === "json" ? send(200, JSON_TYPE, jsonPage(key, files)) : send(200, "text/html", htmlPage(key, files));
    }
    if (path === "/flat" || path === "/flat/") {
      const links = [...entries.values()].sort((a, b) => (a.filename < b.filename ? -1 : 1)).map((e) => `<a href="${encodeURIComponent(e.filename)}">${esc(e.filename)}</a><br>`);
      return send(200, "text/html", `<html><body>\n${links.join("\n")}\n</body></html>\n`);
    }
    // The download.pytorch.org flavour: one page file whose links go into a subfolder.
    if (path === "/whl/torch_stable.html") {
      const links = [...entries.values()].sort((a, b) => (a.filename < b.filename ? -1 : 1)).map((e) => `<a href="cu121/${encodeURIComponent(e.filename)}">cu121/${esc(e.filename)}</a><br>`);
      return send(200, "text/html", `<html><body>\n${links.join("\n")}\n</body></html>\n`);
    }
    const flatFile = /^\/(?:flat|whl\/cu121)\/([^/]+)$/.exec(path);
    const pkg = /^\/packages\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{60}\/([^/]+)$/.exec(path);
    const name = flatFile?.[1] ?? pkg?.[1];
    if (name?.endsWith(".metadata") && pkg) {
      const e = entries.get(name.slice(0, -9));
      return e?.metadataText ? send(200, "text/plain", e.metadataText) : send(404, "text/plain", "no metadata\n");
    }
    const e = name ? entries.get(name) : undefined;
    if (!e || (pkg && e.path !== encodePath(path))) return send(404, "text/plain", "not found\n");
    return sendFile(req, e.data, send);
  };
  const encodePath = (p: string) => p.split("/").map((seg, i) => (i === 5 ? encodeURIComponent(seg) : seg)).join("/");
  const href = (e: Entry) => (opts.links === "absolute" ? `${base}${e.path}` : `../..${e.path}`);
  const htmlPage = (key: string, files: Entry[]) => renderHtml(key, files, href);
  const jsonPage = (key: string, files: Entry[]) => renderJson(key, files, href);
  const sendFile = (req: IncomingMessage, data: Buffer, send: Send) => serveBytes(req.headers.range, data, opts.ignoreRange ?? false, send);
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    simple: `${base}/simple`,
    flat: `${base}/flat`,
    flatPage: `${base}/whl/torch_stable.html`,
    requests,
    add,
    remove: (filename) => void entries.delete(filename),
    close: () =>
      new Promise<void>((res) => {
        server.close(() => res());
        server.closeAllConnections();
      }),
  };
}

/** A PEP 503 project page. */
function renderHtml(key: string, files: Entry[], href: (e: Entry) => string): string {
  const links = files.map((e) => {
    const attrs = [`href="${esc(href(e))}${e.noHash ? "" : `#sha256=${e.sha256}`}"`];
    if (e.requiresPython) attrs.push(`data-requires-python="${esc(e.requiresPython)}"`);
    if (e.yanked !== undefined) attrs.push(e.yanked === true ? "data-yanked" : `data-yanked="${esc(e.yanked)}"`);
    if (e.metadataText) attrs.push(`data-core-metadata="sha256=${sha(e.metadataText)}"`, `data-dist-info-metadata="sha256=${sha(e.metadataText)}"`);
    return `    <a ${attrs.join(" ")}>${esc(e.filename)}</a><br />`;
  });
  return `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="1.1">\n    <title>Links for ${key}</title>\n  </head>\n  <body>\n    <h1>Links for ${key}</h1>\n${links.join("\n")}\n  </body>\n</html>\n`;
}

/** A PEP 691 project page (with PEP 700 sizes). */
function renderJson(key: string, files: Entry[], href: (e: Entry) => string): string {
  return JSON.stringify({
    meta: { "api-version": "1.1" },
    name: key,
    files: files.map((e) => ({
      filename: e.filename,
      url: href(e),
      hashes: e.noHash ? {} : { sha256: e.sha256 },
      "requires-python": e.requiresPython ?? null,
      yanked: e.yanked ?? false,
      size: e.data.length,
      ...(e.metadataText ? { "core-metadata": { sha256: sha(e.metadataText) }, "dist-info-metadata": { sha256: sha(e.metadataText) } } : {}),
    })),
  });
}

/** The file, or the part a single `Range: bytes=a-b | a- | -n` asks for. */
function serveBytes(range: string | undefined, data: Buffer, ignoreRange: boolean, send: Send): void {
  const m = /^bytes=(\d*)-(\d*)$/.exec(range ?? "");
  if (!m || ignoreRange) return send(200, "application/octet-stream", data, { "accept-ranges": ignoreRange ? "none" : "bytes" });
  const start = m[1] === "" ? Math.max(0, data.length - Number(m[2])) : Number(m[1]);
  const end = m[1] === "" || m[2] === "" ? data.length - 1 : Math.min(Number(m[2]), data.length - 1);
  if (start > end || start >= data.length) return send(416, "text/plain", "", { "content-range": `bytes */${data.length}` });
  return send(206, "application/octet-stream", data.subarray(start, end + 1), { "content-range": `bytes ${start}-${end}/${data.length}` });
}
