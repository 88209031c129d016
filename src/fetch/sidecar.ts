// The segment sidecar of a segmented download (`<partial>.segments.json`, format in pieces.ts):
// read back when a download resumes, and rewritten close behind the writes while it runs.
//
// It is what a kill -9 leaves to resume from, so it follows the data: it is rewritten once
// SAVE_EVERY_BYTES more are on disk (at most every SAVE_MIN_MS) and on a timer for the rest. A
// kill then loses a fraction of a second of progress, never "everything since the last save" (a
// once-a-second save at 8 × 4 MiB/s lost up to 32 MiB, and a kill in the first second lost all of
// it). A piece's position moves only after its bytes are written, so the sidecar never claims
// bytes that are not in the file. Without fsync a power loss can still reorder the two; the final
// digest then fails and the download starts over, saying why. It is written synchronously, in
// place (see save()).

import { closeSync, existsSync, openSync, writeSync } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import { writeSmallFileSync } from "../cache/small-file.ts";
import { fromState, initialPieces, toState, type Piece } from "./pieces.ts";

/** The sidecar is rewritten once this many more bytes are on disk… */
export const SAVE_EVERY_BYTES = 1 << 20;
/** …but not more often than this… */
const SAVE_MIN_MS = 10;
/** …and at least this often while bytes arrive. */
const SAVE_EVERY_MS = 250;

export interface LoadedPieces {
  pieces: Piece[];
  /** Why a partial file was thrown away instead of resumed (for a warning), if it was. */
  discarded?: string;
}

async function readJson(path: string): Promise<{ found: boolean; value: unknown }> {
  let raw: string;
  try {
    raw = await readFile(path, "utf8");
  } catch {
    return { found: false, value: undefined };
  }
  try {
    return { found: true, value: JSON.parse(raw) };
  } catch {
    return { found: true, value: undefined };
  }
}

const fileSize = (path: string) => stat(path).then((s) => s.size, () => undefined);

/**
 * The pieces to resume `partial` with. Without a sidecar, a partial is the plain prefix a
 * single-connection download left (the sidecar is always written before a file grows holes).
 */
export async function loadPieces(partial: string, state: string, sha256: string, size: number, pieceSize: number): Promise<LoadedPieces> {
  const { found, value } = await readJson(state);
  if (found) {
    const pieces = fromState(value, sha256, size);
    if (pieces) return { pieces };
    // The holes of the partial cannot be told apart from its bytes without the sidecar.
    const had = await fileSize(partial);
    await rm(partial, { force: true });
    return {
      pieces: initialPieces(size, pieceSize, 0),
      ...(had ? { discarded: `its segment state ${state} is damaged or describes another file, so the ${had}-byte partial cannot be trusted` } : {}),
    };
  }
  const prefix = Math.min((await fileSize(partial)) ?? 0, size);
  return { pieces: initialPieces(size, pieceSize, prefix) };
}

/** The size a sidecar beside an existing partial records for `sha256` (a resume that does not know the size). */
export async function sidecarSize(partial: string, state: string, sha256: string): Promise<number | undefined> {
  if ((await fileSize(partial)) === undefined) return undefined;
  const { value } = await readJson(state);
  const s = value as { size?: unknown } | undefined;
  if (!s || typeof s.size !== "number" || s.size <= 0) return undefined;
  return fromState(value, sha256, s.size) ? s.size : undefined;
}

/** Writes the sidecar of `pieces` behind the data, synchronously, the latest state each time. */
export class SidecarWriter {
  private unsaved = 0;
  private lastSave = 0;
  private soon: NodeJS.Timeout | undefined;
  private readonly timer: NodeJS.Timeout;
  private fd: number | undefined;
  private length = 0;
  private readonly path: string;
  private readonly sha256: string;
  private readonly size: number;
  private readonly pieces: readonly Piece[];

  constructor(path: string, sha256: string, size: number, pieces: readonly Piece[]) {
    this.path = path;
    this.sha256 = sha256;
    this.size = size;
    this.pieces = pieces;
    this.timer = setInterval(() => {
      if (this.unsaved > 0) this.trySave();
    }, SAVE_EVERY_MS);
    this.timer.unref();
  }

  /** Called after `n` more bytes were written into the file. */
  wrote(n: number): void {
    this.unsaved += n;
    if (this.unsaved < SAVE_EVERY_BYTES || this.soon) return;
    // Connections tend to write at the same moments: a burst right after a save is saved a
    // moment later, not at the next timer tick.
    const wait = this.lastSave + SAVE_MIN_MS - Date.now();
    if (wait <= 0) {
      this.trySave();
      return;
    }
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.trySave();
    }, wait);
    this.soon.unref();
  }

  /**
   * Writes the current state now (throws what the file system says). The first write creates the
   * file by rename; later ones rewrite it in place with one positioned write, padded with spaces
   * (JSON allows them) so that it never shrinks. A rename per save cost milliseconds of journal
   * work on a busy disk, and through the thread pool the save queued behind the very writes it
   * describes; one small synchronous write costs a fraction of that, and a kill -9 finds the
   * previous state or this one.
   */
  save(): void {
    this.unsaved = 0;
    this.lastSave = Date.now();
    const json = JSON.stringify(toState(this.sha256, this.size, this.pieces));
    if (this.fd === undefined) {
      writeSmallFileSync(this.path, json);
      this.fd = openSync(this.path, "r+");
      this.length = Buffer.byteLength(json);
      return;
    }
    const length = Math.max(this.length, Buffer.byteLength(json));
    const buf = Buffer.alloc(length, 0x20);
    buf.write(json);
    writeSync(this.fd, buf, 0, length, 0);
    this.length = length;
  }

  /** A failed save costs only resume progress, and the next one tries again. */
  private trySave(): void {
    try {
      this.save();
    } catch {
      // (see above)
    }
  }

  /** Stops the timers and writes the final state, unless the partial is gone (committed or discarded). */
  close(partial: string): void {
    clearInterval(this.timer);
    clearTimeout(this.soon);
    if (existsSync(partial)) this.trySave();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
