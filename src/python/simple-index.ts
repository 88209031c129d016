// Reading the "simple repository API": PEP 503 HTML (hash fragments, data-requires-python,
// PEP 592 data-yanked, PEP 658/714 data-core-metadata), PEP 691 JSON chosen by content
// negotiation, and flat "find-links" pages (a plain list of links, usually without hashes — the
// Chinese PyTorch mirrors). Pure parsing here; the I/O goes through the fetch engine (net.ts).

import { parseWheelFilename } from "./tags.ts";

export interface IndexFile {
  filename: string;
  /** Absolute URL of the file, fragment removed. */
  url: string;
  /** The link as the page wrote it (fragment removed): relative to the page, or absolute. */
  href: string;
  sha256?: string;
  requiresPython?: string;
  /** PEP 592: the reason, or true when yanked without one. */
  yanked?: string | true;
  /** PEP 658: a `<url>.metadata` file is served; its sha256 when the page gives one. */
  metadata?: { sha256?: string };
  /** PEP 700 (JSON pages): the file's size. */
  size?: number;
}

export type PageFormat = "html" | "json";

/** PEP 691 content negotiation: JSON preferred, HTML accepted (most mirrors only serve HTML). */
export const SIMPLE_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";
export const JSON_TYPE = "application/vnd.pypi.simple.v1+json";

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

export function unescapeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === "#") return String.fromCodePoint(e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** Attributes of one start tag (`a href="x" data-yanked`); names lowercased, values unescaped. */
function parseAttributes(src: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;
  for (let m = re.exec(src); m; m = re.exec(src)) out.set(m[1]!.toLowerCase(), unescapeHtml(m[2] ?? m[3] ?? m[4] ?? ""));
  return out;
}

/** Every `<a>` of a page: its attributes and text. */
export function anchors(html: string): { attrs: Map<string, string>; text: string }[] {
  const out: { attrs: Map<string, string>; text: string }[] = [];
  const re = /<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi;
  for (let m = re.exec(html); m; m = re.exec(html)) out.push({ attrs: parseAttributes(m[1]!), text: unescapeHtml(m[2]!.replace(/<[^>]*>/g, "")).trim() });
  return out;
}

function fileFromLink(href: string, pageUrl: string, text: string): Omit<IndexFile, "requiresPython" | "yanked" | "metadata"> | undefined {
  let abs: URL;
  try {
    abs = new URL(href, pageUrl);
  } catch {
    return undefined;
  }
  const fragment = abs.hash.replace(/^#/, "");
  abs.hash = "";
  const last = abs.pathname.split("/").pop() ?? "";
  let filename: string;
  try {
    filename = decodeURIComponent(last) || text;
  } catch {
    filename = text;
  }
  const hashMatch = /(?:^|&)sha256=([0-9a-fA-F]{64})(?:&|$)/.exec(fragment);
  return {
    filename,
    url: abs.href,
    href: href.replace(/#.*$/, ""),
    ...(hashMatch ? { sha256: hashMatch[1]!.toLowerCase() } : {}),
  };
}

function metadataAttr(v: string | undefined): { sha256?: string } | undefined {
  if (v === undefined || v.toLowerCase() === "false") return undefined;
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(v);
  return m ? { sha256: m[1]!.toLowerCase() } : {};
}

/** PEP 503 project page (also a flat find-links page: same links, usually without hashes). */
export function parseHtmlPage(html: string, pageUrl: string): IndexFile[] {
  const files: IndexFile[] = [];
  for (const a of anchors(html)) {
    const href = a.attrs.get("href");
    if (!href) continue;
    const f = fileFromLink(href, pageUrl, a.text);
    if (!f) continue;
    const rp = a.attrs.get("data-requires-python");
    const yanked = a.attrs.get("data-yanked");
    // PEP 714 renamed data-dist-info-metadata to data-core-metadata; read both.
    const md = metadataAttr(a.attrs.get("data-core-metadata") ?? a.attrs.get("data-dist-info-metadata"));
    files.push({ ...f, ...(rp ? { requiresPython: rp } : {}), ...(yanked !== undefined ? { yanked: yanked || true } : {}), ...(md ? { metadata: md } : {}) });
  }
  return files;
}

interface JsonFile {
  filename: string;
  url: string;
  hashes?: Record<string, string>;
  "requires-python"?: string | null;
  yanked?: boolean | string;
  "core-metadata"?: boolean | Record<string, string>;
  "dist-info-metadata"?: boolean | Record<string, string>;
  size?: number;
}

/** PEP 691 JSON project page. */
export function parseJsonPage(text: string, pageUrl: string): IndexFile[] {
  const data = JSON.parse(text) as { files?: JsonFile[] } | null;
  if (!Array.isArray(data?.files)) throw new Error("not a PEP 691 project page (no files array)");
  return data.files.map((j, i) => {
    const bad = jsonFileProblem(j);
    if (bad) throw new Error(`files[${i}] ${bad}`);
    const abs = new URL(j.url, pageUrl);
    abs.hash = "";
    const sha = j.hashes?.sha256?.toLowerCase();
    const md = j["core-metadata"] ?? j["dist-info-metadata"];
    const yanked = j.yanked === true ? true : typeof j.yanked === "string" && j.yanked !== "" ? j.yanked : j.yanked === "" ? true : undefined;
    return {
      filename: j.filename,
      url: abs.href,
      href: j.url.replace(/#.*$/, ""),
      ...(sha ? { sha256: sha } : {}),
      ...(j["requires-python"] ? { requiresPython: j["requires-python"] } : {}),
      ...(yanked !== undefined ? { yanked } : {}),
      ...(typeof j.size === "number" ? { size: j.size } : {}),
      ...(md ? { metadata: typeof md === "object" && md.sha256 ? { sha256: md.sha256.toLowerCase() } : {} } : {}),
    };
  });
}

/** Why a PEP 691 file entry cannot be used (a mirror serving broken JSON), or undefined. */
function jsonFileProblem(j: unknown): string | undefined {
  if (typeof j !== "object" || j === null) return "is not an object";
  const f = j as Record<string, unknown>;
  if (typeof f.filename !== "string" || f.filename === "") return "has no filename string";
  if (typeof f.url !== "string") return "has no url string";
  if (f.hashes !== undefined && (typeof f.hashes !== "object" || f.hashes === null || Object.values(f.hashes).some((h) => typeof h !== "string"))) return "has hashes that are not strings";
  for (const k of ["core-metadata", "dist-info-metadata"]) {
    const md = f[k];
    if (typeof md === "object" && md !== null && Object.values(md).some((h) => typeof h !== "string")) return `has a ${k} hash that is not a string`;
  }
  if (f["requires-python"] != null && typeof f["requires-python"] !== "string") return "has a requires-python that is not a string";
  return undefined;
}

/** Parses a project page by its Content-Type. */
export function parseProjectPage(body: string, contentType: string | undefined, pageUrl: string): { format: PageFormat; files: IndexFile[] } {
  const ct = (contentType ?? "").toLowerCase();
  if (ct.includes("json")) return { format: "json", files: parseJsonPage(body, pageUrl) };
  return { format: "html", files: parseHtmlPage(body, pageUrl) };
}

/** Wheels of one project on a flat find-links page (which lists every project's files). */
export function wheelsOf(files: IndexFile[], project: string): IndexFile[] {
  return files.filter((f) => parseWheelFilename(f.filename)?.name === project);
}

/**
 * The link to `fileUrl` written relative to the project page `pageUrl` when both are on the same
 * origin (so that any mirror of the index can serve it), else the absolute URL. This is the lock's
 * `path` (src/python/lockfile.ts).
 */
export function relativeToPage(pageUrl: string, fileUrl: string): string {
  const from = new URL(pageUrl);
  const to = new URL(fileUrl);
  to.hash = "";
  if (from.origin !== to.origin) return to.href;
  const a = from.pathname.split("/").slice(0, -1);
  const b = to.pathname.split("/");
  let i = 0;
  while (i < a.length && i < b.length - 1 && a[i] === b[i]) i++;
  return "../".repeat(a.length - i) + b.slice(i).join("/") + to.search;
}
