// Store or deflate. Measured here (Node 24 zlib, level 6, one core):
// random bytes grow by 0.03 % at ~13–35 MiB/s, and fp16/fp32 model weights shrink by only ~8 %
// at the same speed — a 4 GiB checkpoint would cost minutes of CPU to save 8 %, so weights are
// stored unless the maintainer asks otherwise. Already-compressed formats are stored; other big
// files of unknown type are judged by a small sample; everything else is deflated (level 6, as
// `zip -6`), which for .py/.pyc/.dll/.so/.pyd saves 50–80 %.

import { deflateRawSync } from "node:zlib";

/** Containers and media that are compressed already. */
const COMPRESSED = new Set([
  "zip", "whl", "jar", "7z", "gz", "tgz", "xz", "txz", "bz2", "tbz2", "zst", "lz4", "br", "rar", "cab", "npz", "egg",
  "png", "jpg", "jpeg", "gif", "webp", "avif", "heic", "jxl", "ico",
  "mp3", "mp4", "m4a", "ogg", "opus", "webm", "mkv", "mov", "flac",
  "woff", "woff2", "pdf",
]);

/** Model weights: high-entropy floats, ~8 % smaller when deflated (see above). */
const WEIGHTS = new Set(["safetensors", "ckpt", "pt", "pth", "bin", "onnx", "gguf", "ggml", "h5", "pb", "tflite", "msgpack", "engine"]);

/** Files at least this big and of unknown type are sampled before deciding. */
export const SAMPLE_MIN = 1 << 20;
const SAMPLE_SIZE = 64 * 1024;
/** Deflate must save at least this share of the sample to be worth it. */
const SAMPLE_MIN_SAVING = 0.03;

export type Method = "store" | "deflate";

export interface PolicyOptions {
  /** Deflate model weights too (smaller archive, much slower packing). */
  deflateWeights?: boolean;
}

function extension(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot <= 0 ? "" : base.slice(dot + 1).toLowerCase();
}

/** The decision from the name and size alone; "sample" means: look at the bytes (judgeSample). */
export function methodByName(name: string, size: number, o: PolicyOptions = {}): Method | "sample" {
  if (size === 0) return "store";
  const ext = extension(name);
  if (COMPRESSED.has(ext)) return "store";
  if (WEIGHTS.has(ext)) return o.deflateWeights ? "deflate" : "store";
  return size >= SAMPLE_MIN ? "sample" : "deflate";
}

/** Where the sample is taken: the middle of the file, past headers that compress unlike the body. */
export function sampleRange(size: number): { offset: number; length: number } {
  const length = Math.min(SAMPLE_SIZE, size);
  return { offset: Math.floor((size - length) / 2), length };
}

/** Deflate (fast level) the sample and keep deflate only if it saves enough. */
export function judgeSample(sample: Uint8Array): Method {
  const out = deflateRawSync(sample, { level: 1 });
  return out.length <= sample.length * (1 - SAMPLE_MIN_SAVING) ? "deflate" : "store";
}
