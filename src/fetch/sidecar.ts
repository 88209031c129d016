// The segment sidecar of a segmented download (`<partial>.segments.json`, format in pieces.ts):
// read back when a download resumes, and rewritten close behind the writes while it runs.
//
// It is what a kill -9 leaves to resume from, so it follows the data: it is rewritten once
// SAVE_EVERY_BYTES more are on disk (at most every SAVE_MIN_MS) and on a timer for the rest. A
// kill then loses a fraction of a second of progress, never "everything since the last save" (a
// once-a-second save at 8 × 4 MiB/s lost up to 32 MiB, and a kill in the first second lost all of
// it). A piece's position moves only after its bytes are written, so the sidecar never claims
// bytes that are not in the file. Without fsync a power loss can still reorder the two; the final
// digest then fails and the download starts over, saying why.

import { readFile, rm, stat } from "node:fs/promises";
import { writeSmallFile } from "../cache/small-file.ts";
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

/** Writes the sidecar of `pieces` behind the data: one write at a time, the latest state each time. */
export class SidecarWriter {
  private running: Promise<void> | undefined;
  private again = false;
  private unsaved = 0;
  private lastSave = 0;
  private soon: NodeJS.Timeout | undefined;
  private readonly timer: NodeJS.Timeout;
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
      if (this.unsaved > 0) void this.save().catch(() => {});
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
      void this.save().catch(() => {});
      return;
    }
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.save().catch(() => {});
    }, wait);
    this.soon.unref();
  }

  /** Writes the current state (after the write in progress, if any). */
  save(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
    return this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      this.unsaved = 0;
      this.lastSave = Date.now();
      await writeSmallFile(this.path, JSON.stringify(toState(this.sha256, this.size, this.pieces)));
    } while (this.again);
  }

  /** Stops the timer and writes the final state, unless the partial is gone (committed or discarded). */
  async close(partial: string): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.soon);
    await this.running?.catch(() => {});
    if ((await fileSize(partial)) !== undefined) await this.save().catch(() => {});
  }
}
