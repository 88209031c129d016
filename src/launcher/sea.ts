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
import { readFile, rm, writeFile } from "node:fs/promises";
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

// postject runs in a child process: its WebAssembly works synchronously for seconds on a 100 MB
// binary (progress keeps rendering meanwhile), what it prints is captured, not shown, and the
// several hundred MiB its WebAssembly memory grows to are returned with the process instead of
// staying in the builder's (a worker thread's memory counts in the builder's peak).
const CHILD = `
const [postject, exe, blob, fuse] = process.argv.slice(1);
require(postject).inject(exe, "NODE_SEA_BLOB", require("node:fs").readFileSync(blob), { sentinelFuse: fuse, overwrite: true })
  .then(() => process.exit(0), (e) => { process.stderr.write("postject: " + String((e && e.message) || e) + "\\n"); process.exit(1); });
`;

/** Injects the blob into the copy of the Node binary at `exe` and flips the SEA fuse. */
export async function injectBlob(exe: string, blob: Buffer, signal?: AbortSignal): Promise<void> {
  // The child loads postject by path: a script given with -e has no module folder of its own.
  const postject = createRequire(import.meta.url).resolve("postject");
  const blobFile = `${exe}.sea-blob`;
  await writeFile(blobFile, blob);
  try {
    await run(process.execPath, ["-e", CHILD, postject, exe, blobFile, SEA_FUSE], { signal, windowsHide: true, maxBuffer: 16 * 2 ** 20 });
  } catch (cause) {
    const printed = String((cause as { stderr?: string }).stderr ?? "").split("\n").filter((l) => l.trim() && !BENIGN.test(l)).join("; ");
    const why = signal?.aborted ? "aborted" : printed || describeError(cause);
    throw new BundleError("BUILD", `injecting the launcher into ${exe} failed: ${why}`, {
      cause,
      hint: "the Node base binary must be an official nodejs.org build (it carries the SEA fuse)",
    });
  } finally {
    await rm(blobFile, { force: true });
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
