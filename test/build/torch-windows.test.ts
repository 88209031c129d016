// A win-x64 bundle with a CUDA torch in its closure (a stand-in torch wheel, on a loopback index):
// the build fails when the Python folder lacks the MSVC C++ runtime DLLs torch loads, passes when a
// pinned wheel puts them next to python.exe, and records what the torch build needs of the GPU in
// bundle.json.

import { createHash } from "node:crypto";
import { readdir, readFile, stat, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../../src/assemble/build.ts";
import { isBundleError } from "../../src/core/errors.ts";
import { startFileServer, type FileServer } from "../../src/demo/http-server.ts";
import { makeEmbeddableStub } from "../../src/demo/runtime.ts";
import { makeWheel, type BuiltWheel } from "../../src/demo/wheels.ts";
import type { LockFile, LockedWheel } from "../../src/python/lockfile.ts";
import { tempDir } from "../helpers/tmp.ts";

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

let tmp: string;
let files: FileServer;
let torch: BuiltWheel;
let msvc: BuiltWheel;
let embedSha: string;
let nodeSha: string;

beforeAll(async () => {
  tmp = await tempDir("gb-torch-win-");
  torch = await makeWheel({ name: "torch", version: "2.1.2+cu121", tag: "cp310-cp310-win_amd64", files: { "torch/__init__.py": "__version__ = '2.1.2+cu121'\n", "torch/lib/c10.dll": "MZ stand-in c10" } });
  // As msvc-runtime lays them out: the C++ runtime into the data scheme (the Python folder), and,
  // since this stand-in embeddable zip has only vcruntime140.dll, vcruntime140_1.dll with it.
  msvc = await makeWheel({ name: "msvc-runtime", version: "14.32.31326", tag: "cp310-cp310-win_amd64", data: { data: { "msvcp140.dll": "MZ msvcp", "vcruntime140_1.dll": "MZ vc1", "Scripts/vcruntime140.dll": "MZ vc" } } });
  const embed = await makeEmbeddableStub("3.10.6", join(tmp, "python-3.10.6-embed-amd64.zip"));
  embedSha = embed.sha256;
  const node = Buffer.from("not a real node archive: the launcher stage is off in these tests\n");
  nodeSha = sha(node);
  files = await startFileServer({
    linked: true,
    files: {
      [`/simple/torch/${torch.filename}`]: torch.data,
      [`/simple/msvc-runtime/${msvc.filename}`]: msvc.data,
      "/python/python-3.10.6-embed-amd64.zip": await readFile(embed.path),
      "/node/v24.21.0/node-v24.21.0-win-x64.zip": node,
      "/node/v24.21.0/node-v24.21.0-linux-x64.tar.gz": node,
    },
  });
}, 120_000);
afterAll(async () => files?.close());

const locked = (w: BuiltWheel, name: string, version: string): LockedWheel => ({ name, version, filename: w.filename, sha256: w.sha256, size: w.size, index: "pypi", path: w.filename });

async function recipe(name: string, wheels: LockedWheel[], extra = ""): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "reqs.txt"), wheels.map((w) => `${w.name}==${w.version}\n`).join(""));
  const lock: LockFile = { lock: 1, recipe: "r.yml", python: "3.10.6", platforms: { "win-x64": { artifacts: {}, wheels } } };
  await writeFile(join(dir, "r.lock.json"), JSON.stringify(lock, null, 2));
  const file = join(dir, "r.yml");
  await writeFile(
    file,
    `recipe: 1
name: ${name}
version: 1.0.0
platforms: [win-x64]
mirrors:
  files: [${files.url}]
  pypi: [${files.url}/simple]
python:
  version: 3.10.6
  win-x64: { url: mirror://files/python/python-3.10.6-embed-amd64.zip, sha256: ${embedSha} }
wheels:
  indexes: [pypi]
  requirements: reqs.txt
  lock: r.lock.json
launcher:
  node:
    win-x64: { url: mirror://files/node/v24.21.0/node-v24.21.0-win-x64.zip, sha256: ${nodeSha} }
    linux-x64: { url: mirror://files/node/v24.21.0/node-v24.21.0-linux-x64.tar.gz, sha256: ${nodeSha} }
  command: ["{python}", "-c", "import torch"]
  ready: /
${extra}package:
  formats: [dir]
`,
  );
  return file;
}

const build = (file: string, out: string) => buildBundle({ recipe: file, cacheDir: join(tmp, "cache"), outDir: join(tmp, out), launcher: false, builderVersion: "test" });

describe("a win-x64 build with torch in its closure", () => {
  it("fails, naming the DLLs python.exe's folder lacks and the wheel that brings them, and leaves nothing in dist", async () => {
    const err = await build(await recipe("torch-only", [locked(torch, "torch", "2.1.2+cu121")]), "dist-bad").catch((e: unknown) => e);
    expect(isBundleError(err) && err.code).toBe("BUILD");
    expect((err as Error).message).toContain("torch needs python/msvcp140.dll, python/vcruntime140_1.dll");
    expect((err as Error).message).not.toContain("python/vcruntime140.dll");
    expect(isBundleError(err) && err.hint).toContain("msvc-runtime==14.32.31326");
    expect(await readdir(join(tmp, "dist-bad"))).toEqual([]);
  }, 120_000);

  it("builds when a pinned wheel puts them next to python.exe, and records the torch build's GPU needs in bundle.json", async () => {
    const r = await build(await recipe("torch-msvc", [locked(torch, "torch", "2.1.2+cu121"), locked(msvc, "msvc-runtime", "14.32.31326")]), "dist-ok");
    for (const dll of ["msvcp140.dll", "vcruntime140.dll", "vcruntime140_1.dll"]) expect((await stat(join(r.bundleDir, "python", dll))).isFile(), dll).toBe(true);
    expect((await stat(join(r.bundleDir, "python", "Scripts", "vcruntime140.dll"))).isFile()).toBe(true);
    expect(r.bundleJson.gpu).toEqual({ cuda: "12.1", min_driver: { win: "528.33", linux: "525.60.13" }, archs: ["sm_50", "sm_60", "sm_61", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"], torch: "2.1.2+cu121" });
    const written = JSON.parse(await readFile(join(r.bundleDir, "bundle.json"), "utf8"));
    expect(written.gpu).toEqual(r.bundleJson.gpu);
  }, 120_000);

  it("takes what the recipe's launcher.gpu.requires says over the table, and warns about nothing it then knows", async () => {
    const extra = "  gpu:\n    requires: { min_driver: { win: '531.14' }, archs: [sm_86, compute_90] }\n";
    // (the extra lines go right after launcher.ready, inside launcher:)
    const file = await recipe("torch-requires", [locked(torch, "torch", "2.1.2+cu121"), locked(msvc, "msvc-runtime", "14.32.31326")], extra);
    const r = await build(file, "dist-req");
    expect(r.bundleJson.gpu).toEqual({ cuda: "12.1", min_driver: { win: "531.14", linux: "525.60.13" }, archs: ["sm_86", "compute_90"], torch: "2.1.2+cu121" });
    expect(r.warnings.filter((w) => w.includes("gpu"))).toEqual([]);
  }, 120_000);
});
