// The wheel installer: installs wheels into a target's tree without running the target Python
// ("Installing a wheel" in the Binary distribution format spec; uv-install-wheel is the model).
// All wheels are read and routed first, so that a clash between two wheels is reported before a
// byte is written, naming both. Then the wheels are unpacked in parallel; every file is hashed while
// it is written and checked against the wheel's RECORD; INSTALLER is written, and RECORD last,
// so a .dist-info with a RECORD is a finished install.

import { createHash, hash } from "node:crypto";
import { createWriteStream, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BundleError } from "../core/errors.ts";
import type { Emit } from "../core/events.ts";
import { PLATFORM_FACTS } from "../core/platform.ts";
import { pool } from "../core/pool.ts";
import { readZipEntry, zipEntryFromBuffer, zipEntryStream } from "../pack/zip-read.ts";
import { formatRecord, parseRecord, type CoreMetadata, type RecordRow } from "./metadata.ts";
import { normalizeName } from "./pep508.ts";
import { entryPointScripts, rewriteScript, type ScriptFile } from "./scripts.ts";
import type { Target } from "./target.ts";
import { closeLayout, readWheelLayout, wheelError, type RoutedEntry, type WheelLayout } from "./wheel-layout.ts";

export interface WheelToInstall {
  path: string;
  /** The wheel's file name (the cache blob has none). */
  filename: string;
}

export interface InstallOptions {
  /** The bundle folder; scheme paths of the target are relative to it. */
  root: string;
  target: Target;
  /** Wheels unpacked at the same time (default 4). */
  jobs?: number;
  emit?: Emit;
  signal?: AbortSignal;
}

export interface InstalledDist {
  filename: string;
  name: string;
  version: string;
  /** The .dist-info folder, relative to the bundle root. */
  distInfo: string;
  files: number;
  bytes: number;
  metadata: CoreMetadata;
  /** Launchers written for entry points, relative to the bundle root. */
  scripts: string[];
}

const INSTALLER = "greenbundle";
const SMALL = 4 << 20;

export async function installWheels(wheels: WheelToInstall[], opts: InstallOptions): Promise<InstalledDist[]> {
  const { target, root } = opts;
  const layouts: WheelLayout[] = [];
  try {
    // Read together (each is a few small reads: central directory, RECORD, METADATA); every
    // layout that opened is closed in `finally`, also when another one failed.
    const read = await Promise.allSettled(wheels.map((w) => readWheelLayout(w.path, target, w.filename)));
    for (const r of read) if (r.status === "fulfilled") layouts.push(r.value);
    const failed = read.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    const scripts = new Map(layouts.map((l) => [l, l.entryPoints.flatMap((ep) => entryPointScripts(ep, target))]));
    checkClashes(layouts, scripts, PLATFORM_FACTS[target.platform].caseInsensitive);
    for (const l of layouts) await uninstallPrevious(root, l);
    const emit = opts.emit;
    emit?.({ type: "task:start", id: "python:install", title: "install wheels", total: layouts.length });
    let done = 0;
    const out = await pool(layouts, opts.jobs ?? 4, async (l) => {
      opts.signal?.throwIfAborted();
      const r = await installOne(root, target, l, scripts.get(l)!, opts.signal);
      emit?.({ type: "task:progress", id: "python:install", done: ++done, total: layouts.length, detail: l.filename });
      for (const u of l.unlisted) emit?.({ type: "warning", message: `${l.filename}: "${u}" is not listed in its RECORD` });
      return r;
    });
    emit?.({ type: "task:done", id: "python:install", detail: `${out.length} wheels` });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } finally {
    for (const l of layouts) closeLayout(l);
  }
}

/** Fails naming both wheels when two of them would write the same file. */
function checkClashes(layouts: WheelLayout[], scripts: Map<WheelLayout, ScriptFile[]>, caseInsensitive: boolean): void {
  const owner = new Map<string, { wheel: string; path: string }>();
  const clashes: string[] = [];
  const claim = (wheel: string, path: string) => {
    const key = caseInsensitive ? path.toLowerCase() : path;
    const prev = owner.get(key);
    if (prev && prev.wheel !== wheel) clashes.push(`"${path}" is in both ${prev.wheel} and ${wheel}`);
    else if (prev) clashes.push(`"${path}" appears twice in ${wheel}`);
    else owner.set(key, { wheel, path });
  };
  for (const l of layouts) {
    for (const e of l.entries) claim(l.filename, e.dest);
    for (const s of scripts.get(l)!) claim(l.filename, s.path);
    for (const f of ["RECORD", "INSTALLER"]) claim(l.filename, `${l.site}/${l.distInfo}/${f}`);
  }
  if (clashes.length > 0) {
    const shown = clashes.slice(0, 10).join("; ") + (clashes.length > 10 ? `; and ${clashes.length - 10} more` : "");
    throw new BundleError("BUILD", `wheels would overwrite each other's files: ${shown}`, {
      hint: "two pinned packages ship the same files (often a renamed fork, e.g. opencv-python and opencv-python-headless); keep one of them in the requirements",
      details: { clashes },
    });
  }
}

/** Removes an older install of the same distribution (a runtime's own pip, say) using its RECORD. */
async function uninstallPrevious(root: string, l: WheelLayout): Promise<void> {
  await uninstallDist(root, l.site, l.name, l.filename);
}

/**
 * Removes the installed distribution `name` (normalised) from `site` by its RECORD, with the
 * bytecode of the sources it lists (which RECORD does not name when it was compiled later).
 */
export async function uninstallDist(root: string, site: string, name: string, wheel: string): Promise<void> {
  const siteAbs = join(root, site);
  let names: string[];
  try {
    names = await readdir(siteAbs);
  } catch {
    return;
  }
  for (const d of names) {
    if (!d.endsWith(".dist-info") || normalizeName(d.slice(0, -10).split("-")[0]!) !== name) continue;
    let rows: RecordRow[] = [];
    try {
      rows = parseRecord(await readFile(join(siteAbs, d, "RECORD"), "utf8"));
    } catch {
      throw wheelError(wheel, `an earlier install ${site}/${d} has no RECORD, so it cannot be replaced safely`, "start from a clean runtime");
    }
    for (const r of rows) {
      const rel = posix.normalize(posix.join(site, r.path));
      if (rel.startsWith("..") || posix.isAbsolute(rel)) continue; // never delete outside the bundle
      await rm(join(root, rel), { force: true });
      if (rel.endsWith(".py")) {
        const cache = join(root, posix.dirname(rel), "__pycache__");
        const stem = `${posix.basename(rel, ".py")}.`;
        const pycs = await readdir(cache).catch(() => [] as string[]);
        for (const f of pycs) if (f.startsWith(stem) && f.endsWith(".pyc") && f.slice(stem.length, -4).split(".").length <= 2) await rm(join(cache, f), { force: true });
        await rmdir(cache).catch(() => undefined);
      }
      await rmdir(dirname(join(root, rel))).catch(() => undefined);
    }
    await rm(join(siteAbs, d), { recursive: true, force: true });
  }
}

async function installOne(root: string, target: Target, l: WheelLayout, scripts: ScriptFile[], signal?: AbortSignal): Promise<InstalledDist> {
  const data = l.inMemory ? await readFile(l.path) : undefined;
  const made = new Set<string>();
  const ensureDir = async (rel: string) => {
    const d = posix.dirname(rel);
    if (made.has(d)) return;
    mkdirSync(join(root, d), { recursive: true }); // synchronous like the writes (see writeNew)
    made.add(d);
  };
  const rows: RecordRow[] = [];
  let bytes = 0;
  await pool(l.entries, 8, async (e) => {
    signal?.throwIfAborted();
    await ensureDir(e.dest);
    const { hash, size } = await writeEntry(root, target, l, e, data);
    if (e.expected && e.expected !== hash && !e.script) {
      throw wheelError(l.filename, `"${e.item.name}" does not match the hash in the wheel's RECORD`, "the wheel was altered after it was built; fetch it again or pin another file");
    }
    rows.push({ path: e.recordPath, hash, size: String(size) });
    bytes += size;
  });
  const written: string[] = [];
  for (const s of scripts) {
    await ensureDir(s.path);
    await writeNew(join(root, s.path), s.content, s.mode, l, s.path);
    rows.push({ path: posix.relative(l.site, s.path), hash: digest(s.content), size: String(s.content.length) });
    written.push(s.path);
  }
  const info = `${l.site}/${l.distInfo}`;
  const installer = Buffer.from(INSTALLER + "\n");
  await mkdir(join(root, info), { recursive: true });
  await writeFile(join(root, info, "INSTALLER"), installer);
  rows.push({ path: `${l.distInfo}/INSTALLER`, hash: digest(installer), size: String(installer.length) });
  rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  rows.push({ path: `${l.distInfo}/RECORD`, hash: "", size: "" });
  // Last, under a temporary name then renamed: RECORD is the completion marker. No fsync: the
  // bundle folder as a whole is renamed into place when it is finished (assembly).
  const record = join(root, info, "RECORD");
  writeFileSync(`${record}.tmp`, formatRecord(rows));
  renameSync(`${record}.tmp`, record);
  return { filename: l.filename, name: l.name, version: l.version, distInfo: info, files: rows.length, bytes, metadata: l.metadata, scripts: written };
}

/** RECORD's digest form: "sha256=" + urlsafe base64 without padding (one-shot hash for small buffers). */
const digest = (b: Buffer) => `sha256=${hash("sha256", b, "base64url")}`;

/** Writes one entry with exclusive create, hashing as it goes; returns the digest of what was written. */
async function writeEntry(root: string, target: Target, l: WheelLayout, e: RoutedEntry, wheel: Buffer | undefined): Promise<{ hash: string; size: number }> {
  const out = join(root, e.dest);
  const mode = e.executable ? 0o755 : 0o644;
  if (wheel || e.item.entry.uncompressedSize <= SMALL || e.script) {
    let data = wheel ? zipEntryFromBuffer(l.filename, wheel, e.item) : await readZipEntry(l.path, l.zip!, e.item);
    if (e.script) {
      if (e.expected && e.expected !== digest(data)) {
        throw wheelError(l.filename, `"${e.item.name}" does not match the hash in the wheel's RECORD`, "the wheel was altered after it was built; fetch it again or pin another file");
      }
      data = rewriteScript(data, target);
    }
    await writeNew(out, data, mode, l, e.dest);
    return { hash: digest(data), size: data.length };
  }
  const hasher = createHash("sha256");
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hasher.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(await zipEntryStream(l.path, l.zip!, e.item), meter, createWriteStream(out, { flags: "wx", mode }));
  } catch (err) {
    throw clashOrRethrow(err, l, e.dest);
  }
  return { hash: `sha256=${hasher.digest("base64url")}`, size };
}

// Synchronous on purpose: a wheel is thousands of small files, and open/write/close through the
// thread pool costs three round trips each — 20–30 % slower on bench/install.ts. Exclusive create
// ("wx") is how a file that is already there (from the runtime) is noticed.
async function writeNew(out: string, data: Buffer, mode: number, l: WheelLayout, rel: string): Promise<void> {
  try {
    writeFileSync(out, data, { flag: "wx", mode });
  } catch (err) {
    throw clashOrRethrow(err, l, rel);
  }
}

function clashOrRethrow(err: unknown, l: WheelLayout, rel: string): unknown {
  if ((err as NodeJS.ErrnoException).code !== "EEXIST") return err;
  return new BundleError("BUILD", `${l.filename} would overwrite "${rel}", which is already in the bundle (from the runtime or another stage)`, {
    hint: "remove the package that duplicates a file of the runtime, or start from a clean bundle folder",
  });
}
