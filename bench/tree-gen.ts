// Generated bundle-like files for the packing benchmarks: text that compresses like Python
// sources, incompressible model-like bytes, and native-library-like files (repeated tables and
// noise, optionally behind an ELF header so that 7-Zip applies its x86 filter), plus the tree's
// size and a read of every file into the page cache before the first timed run.

import { randomFillSync } from "node:crypto";
import { closeSync, openSync, readdirSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";

export const MiB = 2 ** 20;

const WORDS = "import torch numpy def class return self model prompt image sampler steps width height seed cfg scale latent vae unet clip text encoder tokenizer attention".split(" ");

/** `size` bytes of source-like text, the same for the same seed. */
export function textOf(size: number, seed: number): Buffer {
  let x = seed >>> 0;
  const parts: string[] = [];
  let n = 0;
  while (n < size) {
    x = (x * 1103515245 + 12345) >>> 0;
    const w = WORDS[x % WORDS.length]!;
    const sep = x % 11 === 0 ? "\n    " : x % 5 === 0 ? "(" : " ";
    parts.push(w, sep);
    n += w.length + sep.length;
  }
  return Buffer.from(parts.join("").slice(0, size));
}

/** `size` random bytes: what a checkpoint, a wheel or a PNG is to a compressor. */
export function writeRandom(path: string, size: number): void {
  const fd = openSync(path, "w");
  const chunk = Buffer.allocUnsafe(8 * MiB);
  for (let done = 0; done < size; done += chunk.length) {
    randomFillSync(chunk);
    writeSync(fd, chunk, 0, Math.min(chunk.length, size - done));
  }
  closeSync(fd);
}

/** Native-library-like: 4 KiB of structure (a repeated table) then `noise` bytes of noise, alternately. */
export function writeNative(path: string, size: number, seed: number, o: { elf?: boolean; noise?: number } = {}): void {
  const fd = openSync(path, "w");
  let done = 0;
  if (o.elf) {
    const elf = Buffer.alloc(64);
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(elf);
    elf.writeUInt16LE(3, 16); // shared object
    elf.writeUInt16LE(62, 18); // x86-64
    writeSync(fd, elf);
    done = elf.length;
  }
  const table = textOf(4096, seed);
  const noise = Buffer.allocUnsafe(o.noise ?? 4096);
  for (; done < size; done += table.length + noise.length) {
    randomFillSync(noise);
    writeSync(fd, table);
    writeSync(fd, noise);
  }
  closeSync(fd);
}

/** Bytes and regular files under `root`. */
export function du(root: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.isFile()) {
        bytes += statSync(join(d, e.name)).size;
        files++;
      }
    }
  };
  walk(root);
  return { bytes, files };
}

/** Reads every file once, so that no tool pays for the first read from disk. */
export function warm(root: string): void {
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.isFile()) readFileSync(join(d, e.name));
    }
  };
  walk(root);
}
