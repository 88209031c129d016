// bundle.json, the one file three programs share: the builder writes it at the bundle root (a bill
// of materials, the launcher's resolved configuration, the recipe's verify block and a manifest of
// every file), the launcher reads it on every start, and `bundle verify` reads it from an archive
// it does not trust. This module is the whole contract: the types, the validation (every problem
// named by its key path, in bundle-json-check.ts) and the serialisation. Node built-ins and the
// platform list only, because the launcher bundles it and must start fast.

import type { Platform } from "../core/platform.ts";
import { BundleJsonError, checkFormat, checkHead, checkManifest, checkTail, finish, isObj, Problems, type Obj } from "./bundle-json-check.ts";

export { BundleJsonError } from "./bundle-json-check.ts";

export const BUNDLE_JSON = "bundle.json";
/** The format this greenbundle writes. A reader refuses any other: a change of meaning gets a new number. */
export const BUNDLE_FORMAT = 1;

export type ComponentKind = "python" | "git" | "node" | "wheel" | "repo" | "extension" | "file" | "launcher";

export interface Component {
  /** One of ComponentKind; a reader keeps kinds it does not know. */
  kind: ComponentKind;
  name: string;
  version?: string;
  commit?: string;
  /** The URL actually used (the mirror that served it). */
  url?: string;
  sha256?: string;
  size?: number;
  license?: string;
  /** Where it is in the bundle ("" = the root). */
  dest: string;
}

export interface ManifestEntry {
  /** '/'-separated path relative to the bundle root. */
  path: string;
  size: number;
  sha256: string;
  /** True for files that must keep the executable bit on Linux. */
  exec?: boolean;
  /** Symbolic links: the link text; size and sha256 are then those of the file it resolves to. */
  link?: string;
}

export interface GpuRules {
  /** Arguments added when no NVIDIA GPU is found. */
  cpu: string[];
  /** The first rule that matches the detected VRAM adds its arguments. */
  vram: { below_gb?: number; args: string[] }[];
}

/** The launcher's configuration, resolved from the recipe's `launcher` block. */
export interface LauncherConfig {
  name: string;
  title: string;
  version: string;
  /** Working folder relative to the bundle root ("" = root). */
  cwd: string;
  /** Command line with placeholders {bundle} {python} {git} {port} still in it. */
  command: string[];
  port: number;
  /** URL path polled until HTTP 200; absent for an app that is no server (a script run through `--exec`). */
  ready?: string;
  env: Record<string, string>;
  gpu: GpuRules;
  /** Interpreter, relative to the bundle root (python/python.exe or python/bin/python3). */
  python: string;
  /** Bundled git relative to the bundle root, or null to use the git on PATH. */
  git: string | null;
  /** Folders of bundled repositories (for git safe.directory). */
  repos: string[];
  /** First PyPI mirror of the recipe (PIP_INDEX_URL), if any. */
  pipIndexUrl?: string;
}

/**
 * What the bundled torch build needs of the NVIDIA driver and GPU, recorded at build time (from
 * the torch pin's CUDA label and greenbundle's table, or the recipe's launcher.gpu.requires).
 * The launcher's doctor checks the machine against it and falls back to the CPU when it fails.
 */
export interface GpuFacts {
  /** The CUDA version the torch build was made for, e.g. "12.1" (from torch==2.1.2+cu121). */
  cuda: string;
  /** The oldest NVIDIA driver that runs it, per OS ("528.33" on Windows, "525.60.13" on Linux). */
  min_driver: { win?: string; linux?: string };
  /**
   * The GPU architectures it has kernels for, as torch.cuda.get_arch_list() names them:
   * "sm_86" (machine code for 8.x GPUs with x ≥ 6), "compute_90" (PTX, compiled for any GPU ≥ 9.0).
   * Empty: not known (the doctor then does not judge the architecture).
   */
  archs: string[];
  /** The torch version the facts are for, e.g. "2.1.2+cu121" (informative). */
  torch?: string;
}

/**
 * The recipe's verify block as built. The keys below are read by every verify API; an API may
 * read keys of its own (they pass through validation untouched).
 */
export interface VerifyBlock {
  api?: string;
  txt2img?: Record<string, unknown>;
  timeout?: number;
  allow_changes?: string[];
  readonly [key: string]: unknown;
}

/** The shipped bytecode: unchecked-hash pycs compiled by Python `python` — the bundle's own interpreter or the build machine's. */
export interface BuildBytecode {
  python: string;
  interpreter: "bundle" | "host";
  files: number;
}

export interface BundleJson {
  format: typeof BUNDLE_FORMAT;
  name: string;
  version: string;
  title: string;
  platform: Platform;
  /**
   * `bytecode`: which interpreter compiled the shipped .pyc files, and how many (absent: none
   * shipped); `sevenzip` names the 7-Zip that packs the .7z (when the recipe asks for one).
   */
  builder: { name: "greenbundle"; version: string; bytecode?: BuildBytecode; sevenzip?: string };
  components: Component[];
  launcher: LauncherConfig;
  /** What the bundled CUDA torch build needs (absent: no CUDA torch in the bundle). */
  gpu?: GpuFacts;
  /** The recipe's verify block, when it has one. */
  verify?: VerifyBlock;
  /** Every file of the bundle except bundle.json itself, sorted by path. */
  files: ManifestEntry[];
}

/** bundle.json without its manifest: what the launcher needs before it starts the app. */
export type BundleHead = Omit<BundleJson, "files">;

/** `value` as bundle.json, or a BundleJsonError listing what is wrong (the format first). */
export function checkBundleJson(value: unknown): BundleJson {
  checkFormat(value, BUNDLE_FORMAT);
  const p = new Problems();
  checkHead(p, value);
  checkManifest(p, value.files);
  checkTail(p, value);
  finish(p);
  return value as unknown as BundleJson;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BundleJsonError("syntax", [`not valid JSON (${(e as Error).message})`], 1);
  }
}

/** Parses and checks the whole of bundle.json. */
export function parseBundleJson(text: string): BundleJson {
  return checkBundleJson(parseJson(text));
}

// ---------------------------------------------------------------------------------------------
// Reading in two parts (the launcher). The manifest is most of bundle.json (50,000 files: ~7 MB,
// ~150 ms to parse), and nothing before the app is spawned needs it. serializeBundleJson writes
// JSON.stringify(doc, null, 2) with `files` last, so the manifest's key is a line of its own,
// "\n  \"files\": [" (a JSON string cannot hold a raw newline), and everything before it parses
// on its own. The head is only trusted when no other top-level key follows the manifest; any
// other layout is parsed in one go. When the manifest is read, the whole text is parsed and must
// have no top-level key the head lacked (a layout the quick test cannot see through).

export interface BundleJsonReading {
  /** Everything but the manifest, checked. */
  head: BundleHead;
  /** The manifest, parsed and checked on first use. */
  files(): ManifestEntry[];
}

const FILES_KEY = Buffer.from('\n  "files": [');
const CLOSE = 0x5d; // "]"

/**
 * Where the manifest's array closes: its "]" at the start of a line indented by two spaces
 * (its entries are indented deeper, and a string cannot hold a raw newline), or -1.
 */
function manifestEnd(raw: Buffer, from: number): number {
  if (raw[from] === CLOSE) return from; // "files": []
  for (let i = raw.indexOf(CLOSE, from); i >= 0; i = raw.indexOf(CLOSE, i + 1)) {
    if (raw[i - 1] === 0x20 && raw[i - 2] === 0x20 && raw[i - 3] === 0x0a) return i;
  }
  return -1;
}

function headText(raw: Buffer): string | undefined {
  // Byte searches only (a long pattern, then "]"): scanning the manifest for a short pattern costs ms.
  const at = raw.lastIndexOf(FILES_KEY);
  if (at < 0) return undefined;
  const end = manifestEnd(raw, at + FILES_KEY.length);
  // After the manifest only the closing brace: another key there would be missed by the head.
  if (end < 0 || raw.length - end > 16 || raw.toString("latin1", end + 1).trim() !== "}") return undefined;
  const head = raw.toString("utf8", 0, at).trimEnd();
  return head.endsWith(",") ? `${head.slice(0, -1)}\n}` : undefined;
}

function parseHead(raw: Buffer): Obj | undefined {
  const head = headText(raw);
  if (head === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(head);
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Reads bundle.json's bytes: the head now (checked), the manifest when asked for. */
export function readBundleJson(raw: Buffer): BundleJsonReading {
  const fast = parseHead(raw);
  let full: Obj | undefined;
  const whole = (): Obj => {
    if (full) return full;
    const v = parseJson(raw.toString("utf8"));
    checkFormat(v, BUNDLE_FORMAT);
    return (full = v);
  };
  const doc = fast ?? whole();
  checkFormat(doc, BUNDLE_FORMAT);
  const p = new Problems();
  checkHead(p, doc);
  checkTail(p, doc);
  finish(p);
  const { files: _files, ...head } = doc;
  let manifest: ManifestEntry[] | undefined;
  return {
    head: head as unknown as BundleHead,
    files(): ManifestEntry[] {
      if (manifest) return manifest;
      const all = whole();
      const q = new Problems();
      for (const k of Object.keys(all)) if (k !== "files" && !(k in doc)) q.add(k, "comes after files, where the launcher does not look; rewrite bundle.json with the builder");
      checkManifest(q, all.files);
      finish(q);
      return (manifest = all.files as ManifestEntry[]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Writing. Reproducible: keys in a fixed order, components and files sorted, no build time and
// no absolute build paths — two builds of the same inputs write the same bytes. `files` comes
// last (readBundleJson relies on it).

const KIND_ORDER: string[] = ["python", "git", "node", "launcher", "wheel", "repo", "extension", "file"];

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Components in a stable order: by kind, then destination, then name. */
export function sortComponents(cs: readonly Component[]): Component[] {
  const rank = (c: Component) => KIND_ORDER.indexOf(c.kind);
  return [...cs].sort((a, b) => rank(a) - rank(b) || byCodeUnit(a.dest, b.dest) || byCodeUnit(a.name, b.name));
}

/** A component with its keys in the documented order and undefined fields left out. */
function orderedComponent(c: Component): Component {
  const out: Record<string, unknown> = { kind: c.kind, name: c.name };
  for (const k of ["version", "commit", "url", "sha256", "size", "license"] as const) if (c[k] !== undefined) out[k] = c[k];
  out.dest = c.dest;
  return out as unknown as Component;
}

function orderedGpu(g: GpuFacts): GpuFacts {
  const min_driver: GpuFacts["min_driver"] = {};
  if (g.min_driver.win !== undefined) min_driver.win = g.min_driver.win;
  if (g.min_driver.linux !== undefined) min_driver.linux = g.min_driver.linux;
  return { cuda: g.cuda, min_driver, archs: [...g.archs], ...(g.torch !== undefined ? { torch: g.torch } : {}) };
}

export function serializeBundleJson(b: BundleJson): string {
  const doc = {
    format: b.format,
    name: b.name,
    version: b.version,
    title: b.title,
    platform: b.platform,
    builder: b.builder,
    components: sortComponents(b.components).map(orderedComponent),
    launcher: b.launcher,
    ...(b.gpu ? { gpu: orderedGpu(b.gpu) } : {}),
    ...(b.verify ? { verify: b.verify } : {}),
    files: [...b.files].sort((x, y) => byCodeUnit(x.path, y.path)),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}
