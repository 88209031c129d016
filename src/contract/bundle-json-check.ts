// Validation of bundle.json (bundle-json.ts has the types it checks against). Dependency-free
// like the rest of the contract: the launcher bundles it. Problems are collected in the order a
// reader needs the keys (identity, then what it acts on, then what is only informative), each as
// "<key path>: <what is wrong>", so that a damaged or hand-edited file is named precisely.

import { isPlatform } from "../core/platform.ts";

/** Why bundle.json was refused: not JSON, a format this program does not read, or wrong content. */
export class BundleJsonError extends Error {
  readonly kind: "syntax" | "format" | "shape";
  /** The first problems found (at most MAX_LISTED), each "<key path>: <what is wrong>". */
  readonly problems: readonly string[];
  /** How many problems there are in all. */
  readonly count: number;
  /** For kind "format": the `format` value found (undefined when there is none). */
  readonly format: unknown;

  constructor(kind: BundleJsonError["kind"], problems: readonly string[], count: number, format?: unknown) {
    const first = problems[0] ?? "invalid";
    super(`bundle.json: ${first}${count > 1 ? ` (and ${count - 1} more problem(s))` : ""}`);
    this.name = "BundleJsonError";
    this.kind = kind;
    this.problems = problems;
    this.count = count;
    this.format = format;
  }

  /** The message without the file name: "files[3].sha256: … (and 2 more problem(s))". */
  get summary(): string {
    return this.message.slice("bundle.json: ".length);
  }
}

const MAX_LISTED = 50;

export class Problems {
  readonly list: string[] = [];
  count = 0;
  add(at: string, what: string): false {
    if (++this.count <= MAX_LISTED) this.list.push(`${at || "the top level"}: ${what}`);
    return false;
  }
}

export type Obj = Record<string, unknown>;

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const sub = (at: string, k: string | number) => (typeof k === "number" ? `${at}[${k}]` : at ? `${at}.${k}` : k);

/** Reports `missing` for undefined and "expected …, got …" when `ok` fails; returns whether the value is fine. */
function need(p: Problems, at: string, v: unknown, ok: boolean, expected: string): boolean {
  if (v === undefined) return p.add(at, "missing");
  return ok || p.add(at, `expected ${expected}, got ${show(v)}`);
}

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
/** Empty, `.` and `..` segments (a leading or trailing slash too), backslashes, NULs and drive letters. */
const NOT_INSIDE = /(?:^|\/)\.{0,2}(?:\/|$)|[\\\0]|^[A-Za-z]:/;
/** A '/'-separated path inside the bundle: relative, no `..`, no backslashes, no empty parts. */
export const isInsidePath = (s: string): boolean => !NOT_INSIDE.test(s);
/** A name that becomes one path segment (report folder, launcher file). */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const HEX64 = /^[0-9a-f]{64}$/;

const str = (p: Problems, at: string, v: unknown) => need(p, at, v, typeof v === "string", "a string");
const segment = (p: Problems, at: string, v: unknown) => need(p, at, v, typeof v === "string" && SEGMENT.test(v), "letters, digits and . _ + - only");
const insidePath = (p: Problems, at: string, v: unknown) => need(p, at, v, typeof v === "string" && isInsidePath(v), "a relative path inside the bundle");
/** A folder inside the bundle: "" is the root, and a trailing "/" is allowed (recipes may write "webui/"). */
const insideDir = (p: Problems, at: string, v: unknown) => need(p, at, v, v === "" || (typeof v === "string" && isInsidePath(v.replace(/\/$/, ""))), "a relative path inside the bundle");
const count = (p: Problems, at: string, v: unknown) => need(p, at, v, Number.isSafeInteger(v) && (v as number) >= 0, "a whole number of at least 0");

function optional(p: Problems, at: string, v: unknown, check: (p: Problems, at: string, v: unknown) => boolean): boolean {
  return v === undefined || check(p, at, v);
}

function strings(p: Problems, at: string, v: unknown, nonEmpty = false): boolean {
  if (!need(p, at, v, Array.isArray(v) && (!nonEmpty || v.length > 0), nonEmpty ? "a non-empty list of strings" : "a list of strings")) return false;
  return (v as unknown[]).every((s, i) => str(p, sub(at, i), s));
}

function list(p: Problems, at: string, v: unknown, item: (p: Problems, at: string, v: unknown) => void): void {
  if (!need(p, at, v, Array.isArray(v), "a list")) return;
  (v as unknown[]).forEach((x, i) => item(p, sub(at, i), x));
}

function object(p: Problems, at: string, v: unknown): v is Obj {
  return need(p, at, v, isObj(v), "an object");
}

function component(p: Problems, at: string, v: unknown): void {
  if (!object(p, at, v)) return;
  str(p, sub(at, "kind"), v.kind);
  str(p, sub(at, "name"), v.name);
  for (const k of ["version", "commit", "url", "sha256", "license"] as const) optional(p, sub(at, k), v[k], str);
  optional(p, sub(at, "size"), v.size, count);
  insideDir(p, sub(at, "dest"), v.dest);
}

function gpuRules(p: Problems, at: string, v: unknown): void {
  if (!object(p, at, v)) return;
  strings(p, sub(at, "cpu"), v.cpu);
  list(p, sub(at, "vram"), v.vram, (p, at, r) => {
    if (!object(p, at, r)) return;
    optional(p, sub(at, "below_gb"), r.below_gb, (p, at, n) => need(p, at, n, typeof n === "number" && n > 0, "a positive number"));
    strings(p, sub(at, "args"), r.args);
  });
}

function launcher(p: Problems, at: string, v: unknown): void {
  if (!object(p, at, v)) return;
  const k = (key: string) => sub(at, key);
  segment(p, k("name"), v.name);
  str(p, k("title"), v.title);
  str(p, k("version"), v.version);
  insideDir(p, k("cwd"), v.cwd);
  strings(p, k("command"), v.command, true);
  need(p, k("port"), v.port, Number.isInteger(v.port) && (v.port as number) > 0 && (v.port as number) < 65536, "a port number (1-65535)");
  optional(p, k("ready"), v.ready, (p, at, r) => need(p, at, r, typeof r === "string" && r.startsWith("/"), "a URL path starting with /"));
  if (object(p, k("env"), v.env)) for (const [name, value] of Object.entries(v.env)) str(p, sub(k("env"), name), value);
  gpuRules(p, k("gpu"), v.gpu);
  insidePath(p, k("python"), v.python);
  need(p, k("git"), v.git, v.git === null || (typeof v.git === "string" && isInsidePath(v.git)), "a relative path inside the bundle, or null");
  list(p, k("repos"), v.repos, insideDir);
  optional(p, k("pipIndexUrl"), v.pipIndexUrl, str);
}

const DOTTED = /^\d+(\.\d+){0,3}$/;

function gpuFacts(p: Problems, at: string, v: unknown): void {
  if (!object(p, at, v)) return;
  need(p, sub(at, "cuda"), v.cuda, typeof v.cuda === "string" && /^\d+\.\d+$/.test(v.cuda), "a CUDA version such as 12.1");
  if (object(p, sub(at, "min_driver"), v.min_driver)) {
    for (const os of ["win", "linux"] as const) {
      optional(p, sub(sub(at, "min_driver"), os), v.min_driver[os], (p, at, d) => need(p, at, d, typeof d === "string" && DOTTED.test(d), "a driver version such as 528.33"));
    }
  }
  if (strings(p, sub(at, "archs"), v.archs)) {
    (v.archs as string[]).forEach((a, i) => need(p, sub(sub(at, "archs"), i), a, /^(sm|compute)_\d+$/.test(a), "sm_<NN> or compute_<NN>"));
  }
  optional(p, sub(at, "torch"), v.torch, str);
}

function verifyBlock(p: Problems, at: string, v: unknown): void {
  if (!object(p, at, v)) return;
  optional(p, sub(at, "api"), v.api, (p, at, a) => need(p, at, a, typeof a === "string" && a !== "", "the name of a verify API"));
  optional(p, sub(at, "txt2img"), v.txt2img, object);
  optional(p, sub(at, "timeout"), v.timeout, (p, at, t) => need(p, at, t, typeof t === "number" && t > 0, "a positive number of seconds"));
  optional(p, sub(at, "allow_changes"), v.allow_changes, strings);
}

function manifestEntry(p: Problems, at: string, v: unknown): void {
  if (!object(p, at, v)) return;
  insidePath(p, sub(at, "path"), v.path);
  count(p, sub(at, "size"), v.size);
  need(p, sub(at, "sha256"), v.sha256, typeof v.sha256 === "string" && HEX64.test(v.sha256), "64 lowercase hex digits");
  optional(p, sub(at, "exec"), v.exec, (p, at, e) => need(p, at, e, typeof e === "boolean", "true or false"));
  optional(p, sub(at, "link"), v.link, str);
}

/** The common case in one expression, without building key paths: the manifest can hold 50,000 entries. */
function entryFine(v: unknown): boolean {
  if (!isObj(v)) return false;
  const { path, size, sha256, exec, link } = v;
  return (
    typeof path === "string" &&
    isInsidePath(path) &&
    Number.isSafeInteger(size) &&
    (size as number) >= 0 &&
    typeof sha256 === "string" &&
    HEX64.test(sha256) &&
    (exec === undefined || typeof exec === "boolean") &&
    (link === undefined || typeof link === "string")
  );
}

/** The manifest (`files`); only entries with a problem get the detailed check that names it. */
export function checkManifest(p: Problems, v: unknown): void {
  if (!need(p, "files", v, Array.isArray(v), "a list")) return;
  const entries = v as unknown[];
  for (let i = 0; i < entries.length; i++) if (!entryFine(entries[i])) manifestEntry(p, `files[${i}]`, entries[i]);
}

/** Throws unless `doc` is an object whose `format` is `reads`, the one this program reads. */
export function checkFormat(doc: unknown, reads: number): asserts doc is Obj {
  const format = isObj(doc) ? doc.format : undefined;
  if (format === reads) return;
  const found = format === undefined ? "missing" : `${show(format)} is not a format this program reads`;
  throw new BundleJsonError("format", [`format: ${found} (it reads format ${reads})`], 1, format);
}

/** Everything the launcher needs before it starts the app. */
export function checkHead(p: Problems, doc: Obj): void {
  segment(p, "name", doc.name);
  segment(p, "version", doc.version);
  need(p, "platform", doc.platform, typeof doc.platform === "string" && isPlatform(doc.platform), "a platform greenbundle builds for");
  list(p, "components", doc.components, component);
  launcher(p, "launcher", doc.launcher);
  optional(p, "gpu", doc.gpu, (p, at, v) => (gpuFacts(p, at, v), true));
  optional(p, "verify", doc.verify, (p, at, v) => (verifyBlock(p, at, v), true));
}

/** The informative keys. */
export function checkTail(p: Problems, doc: Obj): void {
  str(p, "title", doc.title);
  if (object(p, "builder", doc.builder)) {
    need(p, "builder.name", doc.builder.name, doc.builder.name === "greenbundle", '"greenbundle"');
    str(p, "builder.version", doc.builder.version);
    if (doc.builder.sevenzip !== undefined) str(p, "builder.sevenzip", doc.builder.sevenzip);
  }
}

/** Throws the problems found, if any. */
export function finish(p: Problems): void {
  if (p.count > 0) throw new BundleJsonError("shape", p.list, p.count);
}
