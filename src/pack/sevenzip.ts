// The 7z packer: 7-Zip's own format with LZMA2, solid blocks and the x86 filter 7-Zip chooses for
// executables and libraries (.exe .dll .pyd .so, found by their extension and their PE/ELF
// headers). The 7-Zip used is 7z-wasm, 7-Zip compiled to WebAssembly and pinned by version: the
// same WASM runs on every host, so the same inputs give the same bytes everywhere, and nothing
// native is shipped per platform or needed on the machine.
//
// 7-Zip runs in a worker thread (its main() blocks, and on exit it sets process.exitCode, which
// must not leak into greenbundle's own), with the real folders mounted into its file system
// (NODEFS, so gigabytes are read from disk, never copied into memory). Reproducibility is made at
// that mount: every timestamp 7-Zip asks for is the fixed one, every mode is the one the zip
// would record (bundle.json's `exec`, 0755 folders, 0644 files), folder listings are sorted, and
// the thread count (1: the WASM build has no threads), method and block settings are explicit.
//
// Reading goes through the same checks as zip: the listing is read first and every name checked
// (entry-checks.ts); link entries are read into memory and their targets checked, every other
// entry is unpacked by 7-Zip (which checks its CRCs), the links are made last, sizes are compared
// with the listing, and every link must still resolve inside the destination.

import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { BundleError } from "../core/errors.ts";
import { silent } from "../core/events.ts";
import { renameRetry } from "../core/fs.ts";
import { archiveError, checkLinksInside, entryProblem, linkStaysInside, stripper, writeProblem } from "./entry-checks.ts";
import type { ArchiveReader, ExtractOptions, ExtractResult, Packer, WriteOptions } from "./packer.ts";
import { hashFile } from "../integrity/sha256.ts";
import { volumeNames } from "./volumes.ts";
import { underTop, walkBundle } from "./walk.ts";

/** The 7-Zip inside the pinned 7z-wasm (its banner says so; bundle.json's build facts name it). */
export const SEVEN_ZIP = "7-Zip 24.09 (7z-wasm 1.2.0)";

/** package.level when the recipe gives none. */
export const DEFAULT_LEVEL = 7;

interface Mount {
  /** Real folder. */
  root: string;
  /** Where 7-Zip sees it. */
  at: string;
}

interface Job {
  module: string;
  args: string[];
  cwd: string;
  mounts: Mount[];
  /** Real path → mode 7-Zip is told (packing); absent paths keep their own. */
  modes?: [string, number][];
  /** The one timestamp 7-Zip is told, in ms (packing). */
  mtime?: number;
  /** After the run: read these paths of 7-Zip's file system as link targets. */
  readLinks?: string[];
}

interface JobResult {
  code: number;
  out: string;
  links?: [string, string | null][];
}

/**
 * The worker's code: an eval'd script (no imports, only require), given a Job as workerData.
 * It loads 7z-wasm, mounts the folders, installs the fixed stat answers and runs 7-Zip's main.
 */
function workerMain(): void {
  const { workerData, parentPort } = require("node:worker_threads") as typeof import("node:worker_threads");
  const job = workerData as Job;
  const lines: string[] = [];
  type FSNode = unknown;
  type SevenZip = {
    FS: {
      mkdir(p: string): void;
      mount(t: unknown, o: unknown, at: string): void;
      chdir(p: string): void;
      readlink(p: string): string;
      chmod(p: string, mode: number, dontFollow?: boolean): void;
    };
    NODEFS: { node_ops: Record<string, (...a: any[]) => unknown>; stream_ops: Record<string, (...a: any[]) => unknown>; realPath(n: FSNode): string };
    callMain(args: string[]): number;
  };
  const factory = require(job.module) as (o: object) => Promise<SevenZip>;
  factory({ print: (s: string) => lines.push(s), printErr: (s: string) => lines.push(s) }).then(
    (sz) => {
      const modes = new Map(job.modes ?? []);
      const ops = sz.NODEFS.node_ops;
      const fixed = (a: { mode: number; mtime: Date; atime: Date; ctime: Date }, node: FSNode) => {
        if (job.mtime !== undefined) {
          const t = new Date(job.mtime);
          a.mtime = t;
          a.atime = t;
          a.ctime = t;
        }
        const m = modes.get(sz.NODEFS.realPath(node));
        if (m !== undefined) a.mode = m;
        return a;
      };
      // stat and lstat ask the node, fstat asks the open stream: both get the fixed answers.
      const getattr = ops.getattr!;
      ops.getattr = (node: FSNode) => fixed(getattr(node) as Parameters<typeof fixed>[0], node);
      const streamOps = sz.NODEFS.stream_ops;
      const fgetattr = streamOps.getattr;
      if (fgetattr) streamOps.getattr = (stream: { node: FSNode }) => fixed(fgetattr(stream) as Parameters<typeof fixed>[0], stream.node);
      const readdir = ops.readdir!;
      ops.readdir = (node: FSNode) => (readdir(node) as string[]).slice().sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      // 7-Zip asks for mode 0 on some entries it unpacks; a folder of mode 0 could not be filled.
      const chmod = sz.FS.chmod.bind(sz.FS);
      sz.FS.chmod = (p: string, mode: number, dontFollow?: boolean) => {
        if (mode) chmod(p, mode, dontFollow);
      };
      for (const m of job.mounts) {
        const parts = m.at.split("/").filter(Boolean);
        for (let i = 1; i <= parts.length; i++) {
          try {
            sz.FS.mkdir("/" + parts.slice(0, i).join("/"));
          } catch {
            // exists
          }
        }
        sz.FS.mount(sz.NODEFS, { root: m.root }, m.at);
      }
      sz.FS.chdir(job.cwd);
      let code: number;
      try {
        code = sz.callMain(job.args);
      } catch (e) {
        lines.push(String(e));
        code = 2;
      }
      const links = job.readLinks?.map((p): [string, string | null] => {
        try {
          return [p, sz.FS.readlink(p)];
        } catch {
          return [p, null];
        }
      });
      parentPort!.postMessage({ code, out: lines.join("\n"), links } satisfies JobResult);
    },
    (e: unknown) => parentPort!.postMessage({ code: 2, out: `7-Zip did not start: ${String(e)}` } satisfies JobResult),
  );
}

function sevenZipModule(): string {
  return createRequire(import.meta.url).resolve("7z-wasm");
}

/** Runs 7-Zip once in a worker; a stop through `signal` ends the worker (and 7-Zip with it). */
async function run7z(job: Omit<Job, "module">, signal?: AbortSignal): Promise<JobResult> {
  signal?.throwIfAborted();
  const w = new Worker(`(${workerMain.toString()})()`, { eval: true, workerData: { ...job, module: sevenZipModule() } });
  try {
    return await new Promise<JobResult>((res, rej) => {
      const onAbort = () => rej(signal!.reason instanceof Error ? signal!.reason : new Error("aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      w.once("message", (m: JobResult) => res(m));
      w.once("error", rej);
      w.once("exit", (c) => rej(new Error(`the 7-Zip worker ended (${c}) without an answer`)));
    });
  } finally {
    await w.terminate();
  }
}

/** The last lines 7-Zip printed that say something (errors, warnings), for messages. */
function said(out: string): string {
  return out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /error|warning|cannot|can not|unsupported|not/i.test(l))
    .slice(-5)
    .join("; ");
}

/** `-mx`: package.level 1–9. */
function levelOf(level: number | undefined): number {
  const l = level ?? DEFAULT_LEVEL;
  if (!Number.isInteger(l) || l < 1 || l > 9) throw new BundleError("USAGE", `package.level must be a whole number from 1 to 9; got ${String(level)}`);
  return l;
}

export async function writeSevenZip(o: WriteOptions): Promise<{ files: string[]; sha256: string[]; size: number }> {
  const emit = o.emit ?? silent;
  const out = resolve(o.out);
  const dir = resolve(o.dir);
  const top = o.top ?? basename(out).replace(/\.7z$/i, "");
  // The walk checks links and says which files are executable, exactly as for the zip.
  const entries = underTop(await walkBundle(dir), top, dir);
  const total = entries.reduce((n, e) => n + e.size, 0);
  const level = levelOf(o.level);
  emit({ type: "task:start", id: "pack", title: `7z ${entries.length} entries (LZMA2 level ${level})`, total });
  // 7-Zip writes into a temporary folder next to the archive; finished volumes are renamed into place.
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(tmp, { recursive: true });
  try {
    const args = [
      "a", "-t7z", `/out/${basename(out)}`, top,
      "-m0=LZMA2", "-mf=on", `-mx=${level}`, "-mmt=1", "-ms=on", "-mqs=off",
      "-mtm=on", "-mtc=off", "-mta=off", "-mhc=on", "-mhe=off",
      "-snl", "-bd", "-bb0", "-bsp0", "-sccUTF-8", "-y",
      ...(o.split ? [`-v${o.split}b`] : []),
    ];
    const modes: [string, number][] = entries.map((e) => [e.source, e.mode]);
    const r = await run7z({ args, cwd: "/in", mounts: [{ root: dir, at: `/in/${top}` }, { root: tmp, at: "/out" }], modes, mtime: o.mtime.getTime() }, o.signal);
    if (r.code !== 0) throw new BundleError("ARCHIVE", `7-Zip could not pack ${dir} (exit ${r.code}): ${said(r.out) || r.out.slice(-500)}`, { hint: "check that the bundle folder is readable and the disk has room" });
    const made = (await readdir(tmp)).sort();
    const names = o.split ? volumeNames(out, o.split, made.length) : [out];
    if (made.length !== names.length || !names.every((n) => made.includes(basename(n)))) {
      throw new BundleError("ARCHIVE", `7-Zip wrote ${made.join(", ")}, not ${names.map((n) => basename(n)).join(", ")}`, { hint: "this is a bug in greenbundle: please report it" });
    }
    const sha256: string[] = [];
    let size = 0;
    for (const n of names) {
      const h = await hashFile(join(tmp, basename(n)));
      sha256.push(h.sha256);
      size += (await stat(join(tmp, basename(n)))).size;
    }
    await removeStale(out, o.split ? names.length : 0);
    for (const n of names) await renameRetry(join(tmp, basename(n)), n);
    emit({ type: "task:done", id: "pack", detail: `${names.join(", ")} (${size} bytes)` });
    return { files: names, sha256, size };
  } catch (e) {
    emit({ type: "task:failed", id: "pack", reason: e instanceof Error ? e.message : String(e) });
    throw e;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Removes `<out>` or `<out>.NNN` of an earlier build that this one does not overwrite. */
async function removeStale(out: string, volumes: number): Promise<void> {
  const base = basename(out);
  for (const n of await readdir(dirname(out)).catch(() => [] as string[])) {
    const m = n.startsWith(base + ".") ? /^\d{3,}$/.exec(n.slice(base.length + 1)) : null;
    if (m && Number(m[0]) > volumes) await rm(join(dirname(out), n), { force: true });
  }
  if (volumes > 0) await rm(out, { force: true });
}

export interface SevenZipItem {
  name: string;
  kind: "file" | "dir" | "link";
  size: number;
  mode: number | undefined;
  /** The coder chain 7-Zip reports, e.g. "BCJ LZMA2:24" (empty for folders). */
  method: string;
}

/** The entries of a .7z (or its first volume, the rest next to it), every name checked. */
export async function listSevenZip(archive: string, signal?: AbortSignal): Promise<SevenZipItem[]> {
  const abs = resolve(archive);
  const r = await run7z({ args: ["l", "-slt", "-ba", "-bsp0", "-sccUTF-8", `/arc/${basename(abs)}`], cwd: "/", mounts: [{ root: dirname(abs), at: "/arc" }] }, signal);
  if (r.code !== 0) throw archiveError(archive, `not a readable 7z (${said(r.out) || `7-Zip exit ${r.code}`})`);
  const items: SevenZipItem[] = [];
  for (const block of r.out.split(/\n\s*\n/)) {
    const f = new Map<string, string>();
    for (const line of block.split("\n")) {
      const at = line.indexOf(" = ");
      if (at > 0) f.set(line.slice(0, at).trim(), line.slice(at + 3));
    }
    const path = f.get("Path");
    if (path === undefined) continue;
    const name = path.replaceAll("\\", "/");
    const why = entryProblem(name);
    if (why) throw archiveError(archive, `entry "${name}" ${why}`);
    const attrs = f.get("Attributes") ?? "";
    const unix = /([-dl])([-r][-w][-xsS][-r][-w][-xsS][-r][-w][-xtT])/.exec(attrs);
    const isDir = f.get("Folder") === "+" || attrs.startsWith("D") || unix?.[1] === "d";
    const kind = unix?.[1] === "l" ? "link" : isDir ? "dir" : "file";
    items.push({ name: name.replace(/\/+$/, ""), kind, size: Number(f.get("Size") ?? 0), mode: unix ? permBits(unix[2]!) : undefined, method: f.get("Method") ?? "" });
  }
  return items;
}

function permBits(s: string): number {
  let m = 0;
  for (let i = 0; i < 9; i++) if (s[i] !== "-" && s[i] !== "S" && s[i] !== "T") m |= 1 << (8 - i);
  return m;
}

async function extractSevenZip(archive: string, dest: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const abs = resolve(archive);
  const items = await listSevenZip(abs, opts.signal);
  const strip = stripper(archive, opts.strip);
  const result: ExtractResult = { files: 0, dirs: 0, links: 0, bytes: 0 };
  const wanted = new Map<string, SevenZipItem>();
  for (const it of items) {
    const rel = strip.apply(it.name).replace(/\/+$/, "");
    if (rel === "" || (opts.filter && !opts.filter(rel))) continue;
    wanted.set(it.name, it);
  }
  const links = [...wanted.values()].filter((i) => i.kind === "link");
  if (links.length > 0 && opts.links === "refuse") throw archiveError(archive, `entry "${links[0]!.name}" is a link, which this target cannot hold`);
  // Link targets first, into memory only: nothing is written through or next to a link on disk.
  // 7-Zip itself refuses a link that climbs out of its folder ("Dangerous link path"); that is
  // said as our own refusal, and every link it did make is checked again here.
  const targets = new Map<string, string>();
  if (links.length > 0) {
    const r = await run7z({ args: ["x", "-snl", "-y", "-bsp0", "-sccUTF-8", "-o/mem", `/arc/${basename(abs)}`, ...links.map((l) => l.name)], cwd: "/", mounts: [{ root: dirname(abs), at: "/arc" }], readLinks: links.map((l) => `/mem/${l.name}`) }, opts.signal);
    const danger = /Dangerous link path was ignored : (.*) : (.*)$/m.exec(r.out);
    if (danger) throw archiveError(archive, `link "${danger[1]!.trim()}" → "${danger[2]!.trim()}" points outside the destination`);
    if (r.code !== 0) throw archiveError(archive, `its links cannot be read (${said(r.out) || `7-Zip exit ${r.code}`})`);
    for (const [p, t] of r.links ?? []) {
      const name = p.slice("/mem/".length);
      if (t === null) throw archiveError(archive, `entry "${name}" is listed as a link but holds none`);
      if (!linkStaysInside(strip.apply(name), t)) throw archiveError(archive, `link "${name}" → "${t}" points outside the destination`);
      targets.set(name, t);
    }
  }
  // Everything else is unpacked by 7-Zip into a staging folder inside `dest` (CRCs checked by it),
  // then moved into place with the top folder stripped when asked.
  await mkdir(dest, { recursive: true });
  const stage = join(dest, `.gb-7z-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(stage);
  try {
    const listFile = "/stage/.list";
    const names = [...wanted.values()].filter((i) => i.kind !== "link").map((i) => i.name);
    await writeFile(join(stage, ".list"), names.join("\n") + "\n");
    if (names.length > 0) {
      const r = await run7z({ args: ["x", "-y", "-bsp0", "-sccUTF-8", "-scsUTF-8", `-o/stage/x`, `/arc/${basename(abs)}`, `-i@${listFile}`, "-r-"], cwd: "/", mounts: [{ root: dirname(abs), at: "/arc" }, { root: stage, at: "/stage" }] }, opts.signal);
      if (r.code !== 0) throw archiveError(archive, `cannot be unpacked (${said(r.out) || `7-Zip exit ${r.code}`})`);
    }
    for (const it of wanted.values()) {
      opts.signal?.throwIfAborted();
      const rel = strip.apply(it.name).replace(/\/+$/, "");
      const to = join(dest, ...rel.split("/"));
      const from = join(stage, "x", ...it.name.split("/"));
      if (it.kind === "dir") {
        await mkdir(to, { recursive: true });
        result.dirs++;
        continue;
      }
      if (it.kind === "link") continue;
      const st = await stat(from).catch(() => undefined);
      if (!st?.isFile()) throw archiveError(archive, `entry "${it.name}" was not unpacked`);
      if (st.size !== it.size) throw archiveError(archive, `entry "${it.name}" unpacked to ${st.size} bytes, its listing says ${it.size}`);
      await mkdir(dirname(to), { recursive: true });
      await rename(from, to).catch((e: unknown) => {
        throw writeProblem(archive, dest, it.name, e, opts.signal);
      });
      result.files++;
      result.bytes += st.size;
    }
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  for (const [name, target] of targets) {
    const rel = strip.apply(name);
    await mkdir(dirname(join(dest, rel)), { recursive: true });
    await symlink(target, join(dest, ...rel.split("/"))).catch((e: unknown) => {
      throw writeProblem(archive, dest, name, e, opts.signal);
    });
    result.links++;
  }
  if (result.links > 0) await checkLinksInside(archive, dest);
  return strip.top !== undefined && opts.strip !== undefined ? { ...result, stripped: strip.top } : result;
}

/** The 7z packer's reader: the listing is read (and every name checked) when extracting. */
export async function openSevenZipArchive(archive: string): Promise<ArchiveReader> {
  return { archive, format: "7z", extract: (dest, opts) => extractSevenZip(archive, dest, opts), close: async () => {} };
}

export const sevenZipPacker: Packer<"7z"> = {
  format: "7z",
  extensions: [".7z"],
  sniff: (head) => head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])),
  integrity: "7-Zip checks the CRCs of the headers and of every file while unpacking",
  write: writeSevenZip,
  open: openSevenZipArchive,
};
