// Piece scheduling for segmented downloads (pure; segmented.ts does the I/O).
//
// The file is cut into pieces of a few MiB; each connection takes the lowest piece nobody has, so
// the finished part of the file grows from the front and can be hashed in order while the rest
// downloads (hashing 1 GiB after the fact would cost the last second). When no piece is left, an
// idle connection takes the second half of the piece with the most bytes still to come (aria2's
// "endgame"), so the download does not end with one slow connection.

export interface Piece {
  start: number;
  /** Exclusive; shrinks when another connection takes over the tail. */
  end: number;
  /** Bytes [start, pos) are on disk. */
  pos: number;
  /** The connection working on it, if any. */
  owner?: number | undefined;
  /** End of a write in flight (a steal never splits below it). */
  writing?: number | undefined;
}

const MiB = 1 << 20;

/** Piece size: about four pieces per connection, between 1 and 32 MiB, a multiple of 64 KiB. */
export function pieceSizeFor(size: number, segments: number): number {
  const raw = Math.ceil(size / Math.max(1, segments * 4));
  const clamped = Math.min(32 * MiB, Math.max(MiB, raw));
  return Math.ceil(clamped / 65536) * 65536;
}

/** Pieces covering [0, size); the first `done` bytes are already on disk (a sequential partial). */
export function initialPieces(size: number, pieceSize: number, done = 0): Piece[] {
  const out: Piece[] = [];
  for (let start = 0; start < size; start += pieceSize) {
    const end = Math.min(size, start + pieceSize);
    out.push({ start, end, pos: Math.max(start, Math.min(end, done)) });
  }
  return out;
}

export const isDone = (p: Piece): boolean => p.pos >= p.end;

/** The lowest piece with bytes to fetch and no owner. */
export function claim(pieces: Piece[], worker: number): Piece | undefined {
  const p = pieces.find((x) => !isDone(x) && x.owner === undefined);
  if (p) p.owner = worker;
  return p;
}

/**
 * Splits the owned piece with the most bytes left and gives its upper half to `worker`. Returns
 * undefined when no piece has at least 2 × minBytes left (not worth a new connection).
 */
export function steal(pieces: Piece[], worker: number, minBytes: number): Piece | undefined {
  let best: Piece | undefined;
  let bestLeft = 0;
  for (const p of pieces) {
    if (p.owner === undefined || isDone(p)) continue;
    const left = p.end - Math.max(p.pos, p.writing ?? 0);
    if (left > bestLeft) {
      best = p;
      bestLeft = left;
    }
  }
  if (!best || bestLeft < 2 * minBytes) return undefined;
  const from = Math.max(best.pos, best.writing ?? 0);
  const mid = from + Math.floor(bestLeft / 2 / 65536) * 65536;
  const taken: Piece = { start: mid, end: best.end, pos: mid, owner: worker };
  best.end = mid;
  pieces.splice(pieces.indexOf(best) + 1, 0, taken);
  return taken;
}

/** End of the on-disk prefix: everything before it is downloaded. */
export function contiguousEnd(pieces: readonly Piece[]): number {
  for (const p of pieces) if (!isDone(p)) return p.pos;
  return pieces.length ? pieces[pieces.length - 1]!.end : 0;
}

/** Bytes on disk. */
export function doneBytes(pieces: readonly Piece[]): number {
  let n = 0;
  for (const p of pieces) n += p.pos - p.start;
  return n;
}

/** The sidecar file's content: enough to resume each piece where it stopped. */
export interface SegmentState {
  v: 1;
  sha256: string;
  size: number;
  pieces: [start: number, end: number, pos: number][];
}

export function toState(sha256: string, size: number, pieces: readonly Piece[]): SegmentState {
  return { v: 1, sha256, size, pieces: pieces.map((p) => [p.start, p.end, p.pos]) };
}

/** Pieces from a sidecar, or undefined when it does not describe this file exactly (then start over). */
export function fromState(state: unknown, sha256: string, size: number): Piece[] | undefined {
  const s = state as Partial<SegmentState> | null;
  if (!s || s.v !== 1 || s.sha256 !== sha256 || s.size !== size || !Array.isArray(s.pieces) || s.pieces.length === 0) return undefined;
  const out: Piece[] = [];
  let expect = 0;
  for (const t of s.pieces) {
    if (!Array.isArray(t) || t.length !== 3 || !t.every((n) => Number.isSafeInteger(n))) return undefined;
    const [start, end, pos] = t;
    if (start !== expect || end <= start || pos < start || pos > end) return undefined;
    out.push({ start, end, pos });
    expect = end;
  }
  return expect === size ? out : undefined;
}
