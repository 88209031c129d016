// `launcher --update <file>` and `launcher --rollback`: updates between releases, applied in the
// bundle folder itself. Loaded only for those options or when a journal is left over, so a normal
// start never pays for it.
//
// The rule: a kill, crash or power loss at any moment leaves the old or the new release complete
// after the next run of the launcher. How:
// - Everything new is staged first inside the bundle folder (`.update/<id>/in/`, each file's
//   sha256 checked against update.json as it is unpacked), so switching in is renames on one disk.
// - The switch is a list of operations written to `.update/journal.json` (temp file, fsync,
//   rename) before the first rename. Each operation moves the current file aside into
//   `.update/<id>/out/` and the staged one into place; bundle.json is switched last.
// - Every run of the launcher first looks for the journal: "switching" means the switch did not
//   finish, and every operation is undone (each step is a rename whose state the file system
//   shows, so undoing is idempotent and can itself be interrupted); "done" means the new release
//   is complete and only the tidying is left.
// - What was replaced is kept in `.update/previous/`; `--rollback` is the same switch with the
//   two folders' roles swapped, so a second `--rollback` goes forward again.
// Files the manifest does not list (models, outputs, settings the user added) and files matched
// by `verify.allow_changes` are never touched; a file of the release the user changed stops the
// update before anything is written.

import { createHash } from "node:crypto";
import { closeSync, createReadStream, createWriteStream, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, symlinkSync, chmodSync, writeSync, appendFileSync, fstatSync } from "node:fs";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { createInflateRaw, inflateRawSync } from "node:zlib";
import { BUNDLE_JSON, readBundleJson } from "../../contract/bundle-json.ts";
import { parseUpdateJson, UPDATE_BUNDLE_JSON, UPDATE_DIR, UPDATE_FILES_DIR, UPDATE_JOURNAL, UPDATE_JSON, type UpdateJson } from "../../contract/update-json.ts";
import { msg, type Lang } from "./i18n.ts";
import { allowedChanges } from "./manifest.ts";

const JOURNAL = UPDATE_JOURNAL;
const PREVIOUS = "previous";
const META = "meta.json";

/** One file switched: `in` says a file is put in place, `out` that the current one is moved aside. */
interface Op {
  path: string;
  in: boolean;
  out: boolean;
  /** sha256 the file has after the switch (null: removed), and had before (null: did not exist). */
  after: string | null;
  before: string | null;
}

/** What `.update/previous/meta.json` says: the switch that made the current release. */
interface Meta {
  name: string;
  platform: string;
  now: string;
  before: string;
  manifestNow: string;
  manifestBefore: string;
  ops: Op[];
  /** The folder (under the switch's folder) the last switch took files from, and put displaced ones in. */
  inName: string;
  outName: string;
}

interface Journal {
  state: "switching" | "undone" | "done";
  kind: "update" | "rollback";
  /** The switch's folder under .update/. */
  dir: string;
  inName: string;
  outName: string;
  ops: Op[];
  /** Written to `<dir>/meta.json` once the switch is done (then `dir` becomes `previous`). */
  meta: Meta;
}

export interface UpdateIo {
  lang: Lang;
  root: string;
  /** A line for people (console and the launcher's log). */
  say(text: string, level?: "info" | "warn" | "error"): void;
}

// ---- the test hook: a kill at a chosen step ----

let steps = 0;
/**
 * Counts one durable step (a journal write or a rename); with GREENBUNDLE_UPDATE_KILL_AFTER=N the
 * launcher kills itself (SIGKILL, nothing tidied) right after step N, so tests can interrupt an
 * apply at every point deterministically.
 */
function step(): void {
  steps++;
  const at = Number(process.env.GREENBUNDLE_UPDATE_KILL_AFTER ?? "0");
  if (at > 0 && steps === at) process.kill(process.pid, "SIGKILL");
}

// ---- small durable file-system steps ----

function writeDurable(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
  step();
}

/** Makes a rename in `dir` durable where the system allows it (not on Windows, where renames are journaled by NTFS). */
function syncDir(dir: string): void {
  if (process.platform === "win32") return;
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // a file system that cannot sync folders
  }
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function move(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  renameSync(from, to);
  syncDir(dirname(to));
  step();
}

const at = (root: string, rel: string): string => join(root, ...rel.split("/"));

// ---- the switch, its undoing and its tidying ----

function switchForward(root: string, j: Journal): void {
  const d = join(root, UPDATE_DIR, j.dir);
  for (const op of j.ops) {
    const t = at(root, op.path);
    const i = at(join(d, j.inName), op.path);
    const o = at(join(d, j.outName), op.path);
    if (op.out && exists(t) && !exists(o)) move(t, o);
    if (op.in && exists(i)) move(i, t);
  }
}

/** Undoes a switch that did not finish: every step it made, in reverse; safe to repeat. */
function switchBack(root: string, j: Journal): void {
  const d = join(root, UPDATE_DIR, j.dir);
  for (const op of [...j.ops].reverse()) {
    const t = at(root, op.path);
    const i = at(join(d, j.inName), op.path);
    const o = at(join(d, j.outName), op.path);
    if (op.in && !exists(i) && exists(t)) move(t, i);
    if (op.out && exists(o) && !exists(t)) move(o, t);
  }
}

/** After the switch: the switch's folder becomes `previous` with its meta; the journal goes last. */
function tidy(root: string, j: Journal): void {
  const base = join(root, UPDATE_DIR);
  const d = join(base, j.dir);
  if (j.dir !== PREVIOUS && exists(d)) {
    if (exists(join(base, PREVIOUS))) {
      rmSync(join(base, PREVIOUS), { recursive: true, force: true });
      step();
    }
    move(d, join(base, PREVIOUS));
  }
  writeDurable(join(base, PREVIOUS, META), JSON.stringify(j.meta, null, 1));
  rmSync(join(base, JOURNAL), { force: true });
  syncDir(base);
  step();
}

function readJournal(root: string): Journal | undefined {
  const p = join(root, UPDATE_DIR, JOURNAL);
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, "utf8")) as Journal;
}

/**
 * What every run of the launcher does first: an interrupted switch is undone (the release before
 * it is complete again), a finished one tidied. Returns what happened, for the log.
 */
export function recover(io: UpdateIo): "none" | "undone" | "finished" {
  const j = readJournal(io.root);
  if (!j) return "none";
  const base = join(io.root, UPDATE_DIR);
  if (j.state === "done") {
    tidy(io.root, j);
    io.say(msg(io.lang, "updateFinished", { version: j.meta.now }));
    logUpdate(io.root, `finished an interrupted ${j.kind}: now ${j.meta.now}`);
    return "finished";
  }
  if (j.state === "switching") {
    switchBack(io.root, j);
    j.state = "undone";
    writeDurable(join(base, JOURNAL), JSON.stringify(j));
  }
  // undone: the staged folder of an update goes; `previous` (a rollback's folder) stays as it was
  if (j.dir !== PREVIOUS) rmSync(join(base, j.dir), { recursive: true, force: true });
  rmSync(join(base, JOURNAL), { force: true });
  syncDir(base);
  io.say(msg(io.lang, "updateUndone", { kind: j.kind, version: j.meta.before }), "warn");
  logUpdate(io.root, `undid an interrupted ${j.kind} (${j.meta.before} → ${j.meta.now}): the bundle is at ${j.meta.before} again`);
  return "undone";
}

function runSwitch(io: UpdateIo, j: Journal): void {
  const base = join(io.root, UPDATE_DIR);
  writeDurable(join(base, JOURNAL), JSON.stringify(j));
  switchForward(io.root, j);
  j.state = "done";
  writeDurable(join(base, JOURNAL), JSON.stringify(j));
  tidy(io.root, j);
}

/** One line in `logs/updates.log`, which keeps every update and rollback (launcher logs are pruned). */
function logUpdate(root: string, line: string): void {
  try {
    mkdirSync(join(root, "logs"), { recursive: true });
    appendFileSync(join(root, "logs", "updates.log"), `${new Date().toISOString()} ${line}\n`);
  } catch {
    // a read-only bundle: the console said it
  }
}

// ---- reading the update zip (no dependencies: the launcher stays small) ----

interface ZipEntry {
  name: string;
  method: number;
  csize: number;
  size: number;
  offset: number;
}

function readAt(fd: number, length: number, position: number): Buffer {
  const b = Buffer.alloc(length);
  const n = readSync(fd, b, 0, length, position);
  return b.subarray(0, n);
}

/** The central directory of a zip (ZIP64 too); throws on anything that is not a readable zip. */
function zipEntries(file: string): Map<string, ZipEntry> {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const tailLen = Math.min(size, 65_557);
    const tail = readAt(fd, tailLen, size - tailLen);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
    if (eocd < 0) throw new Error("not a zip (no end of central directory)");
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50) throw new Error("ZIP64 locator missing");
      const z64 = readAt(fd, 56, Number(tail.readBigUInt64LE(loc + 8)));
      if (z64.readUInt32LE(0) !== 0x06064b50) throw new Error("ZIP64 end record missing");
      count = Number(z64.readBigUInt64LE(32));
      cdSize = Number(z64.readBigUInt64LE(40));
      cdOffset = Number(z64.readBigUInt64LE(48));
    }
    const cd = readAt(fd, cdSize, cdOffset);
    const out = new Map<string, ZipEntry>();
    let p = 0;
    for (let k = 0; k < count; k++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) throw new Error("damaged central directory");
      const method = cd.readUInt16LE(p + 10);
      let csize = cd.readUInt32LE(p + 20);
      let usize = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let offset = cd.readUInt32LE(p + 42);
      const name = cd.subarray(p + 46, p + 46 + nameLen).toString("utf8");
      let e = p + 46 + nameLen;
      const end = e + extraLen;
      while (e + 4 <= end) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (usize === 0xffffffff) (usize = Number(cd.readBigUInt64LE(q))), (q += 8);
          if (csize === 0xffffffff) (csize = Number(cd.readBigUInt64LE(q))), (q += 8);
          if (offset === 0xffffffff) offset = Number(cd.readBigUInt64LE(q));
        }
        e += 4 + len;
      }
      out.set(name, { name, method, csize, size: usize, offset });
      p = end + commentLen;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Streams one entry into `dest`, returning its sha256; its size must be the listed one. */
async function unpackEntry(file: string, e: ZipEntry, dest: string): Promise<string> {
  const fd = openSync(file, "r");
  let start: number;
  try {
    const h = readAt(fd, 30, e.offset);
    if (h.readUInt32LE(0) !== 0x04034b50) throw new Error(`${e.name}: no local header`);
    start = e.offset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  } finally {
    closeSync(fd);
  }
  if (e.method !== 0 && e.method !== 8) throw new Error(`${e.name}: compression method ${e.method} is not supported`);
  const hash = createHash("sha256");
  let n = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      n += chunk.length;
      cb(null, chunk);
    },
  });
  mkdirSync(dirname(dest), { recursive: true });
  const src = e.csize === 0 ? createReadStream(file, { start: 0, end: -1 }) : createReadStream(file, { start, end: start + e.csize - 1 });
  if (e.method === 8 && e.csize > 0) await pipeline(src, createInflateRaw(), meter, createWriteStream(dest));
  else await pipeline(src, meter, createWriteStream(dest));
  if (n !== e.size) throw new Error(`${e.name}: ${n} bytes, the zip lists ${e.size}`);
  return hash.digest("hex");
}

/** A small entry (update.json, bundle.json) read into memory: nothing is written before the checks. */
function entryText(file: string, entries: Map<string, ZipEntry>, name: string): { text: string; sha256: string } {
  const e = entries.get(name);
  if (!e) throw new Error(`${name} is missing`);
  if (e.size > 256 * 2 ** 20) throw new Error(`${name} is too big (${e.size} bytes)`);
  const fd = openSync(file, "r");
  let data: Buffer;
  try {
    const h = readAt(fd, 30, e.offset);
    if (h.readUInt32LE(0) !== 0x04034b50) throw new Error(`${name}: no local header`);
    const raw = readAt(fd, e.csize, e.offset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28));
    if (e.method === 0) data = raw;
    else if (e.method === 8) data = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
    else throw new Error(`${name}: compression method ${e.method} is not supported`);
  } finally {
    closeSync(fd);
  }
  if (data.length !== e.size) throw new Error(`${name}: ${data.length} bytes, the zip lists ${e.size}`);
  return { text: data.toString("utf8"), sha256: createHash("sha256").update(data).digest("hex") };
}

// ---- hashing what is in the bundle now ----

async function hashOf(path: string): Promise<string | null> {
  try {
    if (!statSync(path).isFile()) return null;
  } catch {
    return null;
  }
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

function sha(b: Buffer | string): string {
  return createHash("sha256").update(b).digest("hex");
}

function exitWith(io: UpdateIo, code: 1 | 2, key: "updateFailed" | "updateNotFor", detail: string): number {
  io.say(msg(io.lang, key, { detail }), "error");
  logUpdate(io.root, `${key === "updateFailed" ? "failed" : "refused"}: ${detail}`);
  return code;
}

/** `launcher --update <file>`: 0 applied, 1 failed with nothing changed, 2 not an update for this bundle. */
export async function applyUpdate(io: UpdateIo, file: string): Promise<number> {
  const root = io.root;
  const base = join(root, UPDATE_DIR);
  let entries: Map<string, ZipEntry>;
  let u: UpdateJson;
  let newBundle: { text: string; sha256: string };
  try {
    entries = zipEntries(file);
    u = parseUpdateJson(entryText(file, entries, UPDATE_JSON).text);
    newBundle = entryText(file, entries, UPDATE_BUNDLE_JSON);
  } catch (e) {
    return exitWith(io, 2, "updateNotFor", `${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const currentText = readFileSync(join(root, BUNDLE_JSON));
  const current = readBundleJson(currentText).head;
  if (u.name !== current.name || u.platform !== current.platform) {
    return exitWith(io, 2, "updateNotFor", `the update is for ${u.name} ${u.platform}, this bundle is ${current.name} ${current.platform}`);
  }
  if (current.version === u.to && sha(currentText) === u.to_manifest) {
    io.say(msg(io.lang, "updateAlready", { version: u.to }));
    return 0;
  }
  if (current.version !== u.from || sha(currentText) !== u.from_manifest) {
    return exitWith(io, 2, "updateNotFor", `the update goes from ${u.from} to ${u.to}, this bundle is ${current.version}${current.version === u.from ? " with another bundle.json" : ""}`);
  }
  if (newBundle.sha256 !== u.to_manifest) return exitWith(io, 1, "updateFailed", `${file}: its bundle.json does not have the sha256 update.json names (damaged file)`);
  const nb = readBundleJson(Buffer.from(newBundle.text)).head;
  if (nb.name !== u.name || nb.platform !== u.platform || nb.version !== u.to) return exitWith(io, 1, "updateFailed", `${file}: its bundle.json is not ${u.name} ${u.to} for ${u.platform}`);
  // Files the app may change (and the user's own) are never touched by an update.
  const allowed = allowedChanges([...(current.verify?.allow_changes ?? []), ...(nb.verify?.allow_changes ?? [])]);
  const kept = u.files.filter((f) => allowed(f.path)).map((f) => f.path);
  const files = u.files.filter((f) => !allowed(f.path));
  // Every file replaced or removed must still be the release's; nothing may stand where a new one goes.
  const changed: string[] = [];
  const inTheWay: string[] = [];
  for (const f of files) {
    const p = at(root, f.path);
    if (f.old === null) {
      if (exists(p)) inTheWay.push(f.path);
    } else if ((await hashOf(p)) !== f.old) changed.push(f.path);
  }
  if (changed.length > 0) return exitWith(io, 1, "updateFailed", `${changed.length} file(s) of ${u.from} are missing or changed, so nothing was updated: ${changed.slice(0, 10).join(", ")}${changed.length > 10 ? ", …" : ""} (launcher --check lists them)`);
  if (inTheWay.length > 0) return exitWith(io, 1, "updateFailed", `file(s) that are not part of ${u.from} stand where ${u.to} puts its own, so nothing was updated: ${inTheWay.slice(0, 10).join(", ")} (move them elsewhere and update again)`);
  // Stage: every new file unpacked into .update/<id>/in/ and checked against its sha256.
  const id = `${u.from}-to-${u.to}`.replace(/[^A-Za-z0-9._-]/g, "_");
  const d = join(base, id);
  rmSync(d, { recursive: true, force: true });
  try {
    for (const f of files) {
      if (f.new === null) continue;
      const dest = at(join(d, "in"), f.path);
      if (f.link !== undefined) {
        mkdirSync(dirname(dest), { recursive: true });
        symlinkSync(f.link, dest);
        continue;
      }
      const e = entries.get(UPDATE_FILES_DIR + f.path);
      if (!e) throw new Error(`${f.path} is missing from the update file`);
      const got = await unpackEntry(file, e, dest);
      if (got !== f.new) throw new Error(`${f.path}: sha256 ${got}, update.json says ${f.new} (damaged file)`);
      if (f.exec) chmodSync(dest, 0o755);
    }
    mkdirSync(d, { recursive: true });
    const bj = join(d, "in", BUNDLE_JSON);
    mkdirSync(dirname(bj), { recursive: true });
    const fd = openSync(bj, "w");
    try {
      writeSync(fd, newBundle.text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    rmSync(d, { recursive: true, force: true });
    return exitWith(io, 1, "updateFailed", `${file}: ${e instanceof Error ? e.message : String(e)}; nothing was changed`);
  }
  const ops: Op[] = files.map((f) => ({ path: f.path, in: f.new !== null, out: f.old !== null, after: f.new, before: f.old }));
  ops.push({ path: BUNDLE_JSON, in: true, out: true, after: u.to_manifest, before: u.from_manifest });
  const meta: Meta = { name: u.name, platform: u.platform, now: u.to, before: u.from, manifestNow: u.to_manifest, manifestBefore: u.from_manifest, ops, inName: "in", outName: "out" };
  runSwitch(io, { state: "switching", kind: "update", dir: id, inName: "in", outName: "out", ops, meta });
  const added = files.filter((f) => f.old === null).length;
  const removed = files.filter((f) => f.new === null).length;
  const detail = `${files.length - added - removed} changed, ${added} added, ${removed} removed${kept.length ? `; kept as they are (verify.allow_changes): ${kept.join(", ")}` : ""}`;
  io.say(msg(io.lang, "updateApplied", { from: u.from, to: u.to, detail }));
  logUpdate(root, `updated ${u.name} ${u.from} → ${u.to} (${u.platform}) from ${file}: ${detail}`);
  return 0;
}

/** `launcher --rollback`: the release before the last update or rollback, switched back the same way. */
export async function rollback(io: UpdateIo): Promise<number> {
  const root = io.root;
  const prev = join(root, UPDATE_DIR, PREVIOUS);
  let meta: Meta;
  try {
    meta = JSON.parse(readFileSync(join(prev, META), "utf8")) as Meta;
  } catch {
    return exitWith(io, 2, "updateNotFor", "there is no earlier release to go back to (no update was applied here)");
  }
  const currentText = readFileSync(join(root, BUNDLE_JSON));
  if (sha(currentText) !== meta.manifestNow) return exitWith(io, 2, "updateNotFor", `the kept release is from ${meta.before}, but bundle.json is not the one ${meta.now} had`);
  const changed: string[] = [];
  for (const op of meta.ops) if (op.path !== BUNDLE_JSON && op.in && (await hashOf(at(root, op.path))) !== op.after) changed.push(op.path);
  if (changed.length > 0) return exitWith(io, 1, "updateFailed", `${changed.length} file(s) of ${meta.now} are missing or changed, so nothing was rolled back: ${changed.slice(0, 10).join(", ")}`);
  const files = meta.ops.filter((o) => o.path !== BUNDLE_JSON).reverse();
  const inverse = (o: Op): Op => ({ path: o.path, in: o.out, out: o.in, after: o.before, before: o.after });
  const ops = [...files.map(inverse), { path: BUNDLE_JSON, in: true, out: true, after: meta.manifestBefore, before: meta.manifestNow }];
  const next: Meta = { name: meta.name, platform: meta.platform, now: meta.before, before: meta.now, manifestNow: meta.manifestBefore, manifestBefore: meta.manifestNow, ops, inName: meta.outName, outName: meta.inName };
  runSwitch(io, { state: "switching", kind: "rollback", dir: PREVIOUS, inName: meta.outName, outName: meta.inName, ops, meta: next });
  io.say(msg(io.lang, "rollbackDone", { from: meta.now, to: meta.before }));
  logUpdate(root, `rolled back ${meta.name} ${meta.now} → ${meta.before}`);
  return 0;
}
