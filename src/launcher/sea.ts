// Node single-executable applications, the mechanism under `pkg --sea`.
// We drive it directly: `node --experimental-sea-config` writes the preparation blob, and
// postject (a pinned dependency) injects it and flips the SEA fuse.
// Why not `pkg --sea` itself: it puts the absolute path of the entry script into the blob, so
// two builds from different folders differ (measured: one byte run, the path); it chdir()s the
// whole process; and when cross-building with a different host Node it downloads one from
// nodejs.org. Here the entry path is relative ("launcher.cjs"), so the executable is
// byte-identical wherever it is built.

import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { BundleError, describeError } from "../core/errors.ts";
import type { Platform } from "../core/platform.ts";

const run = promisify(execFile);

// The fuse Node looks for (nodejs/node src/node_sea.cc, documented in the SEA guide). Built by
// concatenation so this file never contains the literal sentinel itself.
const SEA_FUSE = ["NODE", "SEA", "FUSE", "fce680ab2cc467b6e072b8b5df1996b2"].join("_");

export type Generator = { kind: "target" } | { kind: "self" } | { kind: "host-archive" };

/**
 * Which Node writes the blob. The blob layout changes between Node releases, even patch ones,
 * so the writer must be exactly the target's version and runnable here: the target binary
 * itself when it is for this host, else the Node running greenbundle when its version matches,
 * else a host-platform archive of that version (another recipe artifact) when one is given.
 */
export function chooseGenerator(target: Platform, host: Platform | undefined, nodeVersion: string, running: string, hasHostArchive: boolean): Generator | BundleError {
  if (host === target) return { kind: "target" };
  if (running === `v${nodeVersion}`) return { kind: "self" };
  if (hasHostArchive) return { kind: "host-archive" };
  return new BundleError("BUILD", `cannot build the ${target} launcher here: the SEA blob must be written by Node ${nodeVersion} running on this machine (${host ?? "unsupported host"}), and greenbundle runs on Node ${running.slice(1)}`, {
    hint: `run greenbundle with Node ${nodeVersion}, or add this host's platform to the recipe so that its launcher.node archive (same version) is fetched and passed as hostNodeArchive`,
  });
}

export interface BlobInput {
  /** The launcher program as one CommonJS file. */
  script: string;
  /** A scratch folder; the blob is written there. */
  dir: string;
  /** A Node binary of the target's exact version that runs on this host. */
  generator: string;
  signal?: AbortSignal;
}

/** Writes the SEA preparation blob and returns its bytes. */
export async function makeSeaBlob(i: BlobInput): Promise<Buffer> {
  await writeFile(join(i.dir, "launcher.cjs"), i.script);
  // Paths relative to `dir`: they are stored in the blob, and must not depend on where we build.
  const config = { main: "launcher.cjs", output: "sea-prep.blob", disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false };
  await writeFile(join(i.dir, "sea-config.json"), JSON.stringify(config));
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  try {
    await run(i.generator, ["--experimental-sea-config", "sea-config.json"], { cwd: i.dir, env, signal: i.signal, windowsHide: true });
  } catch (cause) {
    throw new BundleError("BUILD", `writing the launcher's SEA blob with ${i.generator} failed: ${describeError(cause)}`, { cause, hint: "the Node base binary must be a release build of Node ≥ 22 that runs on this machine" });
  }
  return readFile(join(i.dir, "sea-prep.blob"));
}

// postject's LIEF prints these while re-reading an ELF whose section table it grew; they are
// harmless (the executable works) and only confuse a maintainer reading the build log.
const BENIGN = /^warning: (Can't find string offset for section name '\.note|The signature seems corrupted)/;

// postject runs in a worker thread: its WebAssembly works synchronously for seconds on a 100 MB
// binary (progress keeps rendering meanwhile), and what it prints is captured, not shown.
const WORKER = `
const { workerData: w, parentPort } = require("node:worker_threads");
require(w.postject).inject(w.exe, "NODE_SEA_BLOB", Buffer.from(w.blob), { sentinelFuse: w.fuse, overwrite: true })
  .then(() => parentPort.postMessage({ ok: true }), (e) => parentPort.postMessage({ ok: false, error: String((e && e.message) || e) }));
`;

/** Injects the blob into the copy of the Node binary at `exe` and flips the SEA fuse. */
export async function injectBlob(exe: string, blob: Buffer, signal?: AbortSignal): Promise<void> {
  const { Worker } = await import("node:worker_threads");
  // The worker loads postject by path: a worker evaluated from a string has no module folder of its own.
  const postject = createRequire(import.meta.url).resolve("postject");
  const worker = new Worker(WORKER, { eval: true, stderr: true, stdout: true, workerData: { postject, exe, blob, fuse: SEA_FUSE } });
  let output = "";
  worker.stderr.on("data", (b: Buffer) => (output += b.toString()));
  worker.stdout.on("data", (b: Buffer) => (output += b.toString()));
  const onAbort = (): void => void worker.terminate();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const result = await new Promise<{ ok: boolean; error?: string }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
      worker.once("exit", (code) => resolve({ ok: false, error: signal?.aborted ? "aborted" : `worker exited with code ${code}` }));
    });
    if (!result.ok) throw new Error(result.error);
  } catch (cause) {
    const printed = output.split("\n").filter((l) => l.trim() && !BENIGN.test(l)).join("; ");
    throw new BundleError("BUILD", `injecting the launcher into ${exe} failed: ${describeError(cause)}${printed ? ` (postject: ${printed})` : ""}`, {
      cause,
      hint: "the Node base binary must be an official nodejs.org build (it carries the SEA fuse)",
    });
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await worker.terminate();
  }
}

/** Sets the SEA fuse of `exe` in place (after a resource-based injection on Windows). */
export function flipSeaFuse(exe: Buffer): void {
  const i = exe.indexOf(SEA_FUSE);
  if (i < 0 || exe.indexOf(SEA_FUSE, i + 1) >= 0) {
    throw new BundleError("BUILD", i < 0 ? "the Node base binary has no SEA fuse" : "the Node base binary has more than one SEA fuse", { hint: "use an official nodejs.org build of Node ≥ 22" });
  }
  exe[i + SEA_FUSE.length + 1] = 0x31; // "…:0" → "…:1"
}

/** Whether the binary has the fuse flipped (used by tests and as a final check). */
export function seaFuseFlipped(exe: Buffer): boolean {
  const i = exe.indexOf(SEA_FUSE);
  return i >= 0 && exe[i + SEA_FUSE.length + 1] === 0x31;
}
