// What a release archive format is to greenbundle: one Packer per format, each in its own file
// (zip.ts, targz.ts), listed in registry.ts. A packer writes a bundle folder into its archive
// reproducibly and opens an archive of its format for reading, with every entry checked
// (entry-checks.ts) — the same reader unpacks runtimes, MinGit, Node archives and releases.

import type { ArchiveFormat } from "../contract/registry-names.ts";
import type { PackerOptions } from "./volumes.ts";

export interface ExtractOptions {
  /**
   * Drop a leading folder from every entry: its name (e.g. "python") or `true` for "the single
   * top folder, whatever it is called". An entry outside that folder is an error.
   */
  strip?: string | true;
  /** Extract only entries whose path (after strip) passes; every entry's name is checked all the same. */
  filter?: (path: string) => boolean;
  /** "refuse" fails on any link entry (Windows targets); default allows links that stay inside. */
  links?: "allow-inside" | "refuse";
  signal?: AbortSignal;
}

export interface ExtractResult {
  files: number;
  dirs: number;
  links: number;
  /** Uncompressed bytes written. */
  bytes: number;
  /** The folder removed by `strip`, if any. */
  stripped?: string;
}

/** An archive opened for reading; `close` it when done (extract does not). */
export interface ArchiveReader {
  readonly archive: string;
  readonly format: ArchiveFormat;
  /** Unpacks into `dest`: names, links and checksums checked, nothing written outside `dest`. */
  extract(dest: string, opts?: ExtractOptions): Promise<ExtractResult>;
  close(): Promise<void>;
}

/** What a packer is given; settings of other formats are ignored. */
export interface WriteOptions extends PackerOptions {
  /** zip: deflate model weights too (.safetensors, .ckpt, …): ~8 % smaller, many times slower. */
  deflateWeights?: boolean;
  /** 7z: the compression level, 1–9 (package.level; default 7). */
  level?: number;
}

export interface PackResult {
  /** The archive, or its volumes in order. */
  files: string[];
  /** sha256 of each of `files`. */
  sha256: string[];
  /** Total bytes of the archive. */
  size: number;
}

export interface Packer<F extends ArchiveFormat = ArchiveFormat> {
  readonly format: F;
  /** File name endings in lower case; the first is the one written. */
  readonly extensions: readonly string[];
  /** Whether a file starting with these bytes (at least 8 of them, when the file has them) is of this format. */
  sniff(head: Buffer): boolean;
  /** How the archive's integrity is checked while it is read, as `bundle verify` reports it. */
  readonly integrity: string;
  /** Writes the bundle folder `o.dir` into `o.out` (with its extension), or into volumes of it. */
  write(o: WriteOptions): Promise<PackResult>;
  open(archive: string): Promise<ArchiveReader>;
}
