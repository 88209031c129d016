// A small package world for the python tests: generated wheels on a loopback simple index, a file
// server for runtimes and Node archives, and a recipe (JSON is YAML) pointing at both.
import { readdirSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll } from "vitest";
import { startFileServer, type FileServer } from "../../src/demo/http-server.ts";
import { startPypiServer, type IndexedFile, type PypiServer, type PypiServerOptions } from "../../src/demo/pypi-server.ts";
import { makeWheel, type WheelSpec } from "../../src/demo/wheels.ts";
import { tempDir } from "../helpers/tmp.ts";

/** Debian's real wheels (python3-pip-whl and python3-setuptools-whl on every machine of this kind; python3-wheel-whl where CI installs it). */
export const DEBIAN = "/usr/share/python-wheels";
export function debianWheels(): { path: string; filename: string; name: string; version: string }[] {
  return readdirSync(DEBIAN)
    .filter((f) => f.endsWith(".whl"))
    .sort()
    .map((f) => ({ path: join(DEBIAN, f), filename: f, name: f.split("-")[0]!, version: f.split("-")[1]! }));
}
export const debianWheel = (name: string) => debianWheels().find((w) => w.name === name)!;

export const NODE_WIN = Buffer.from("stand-in node-v24.21.0-win-x64.zip");
export const NODE_LINUX = Buffer.from("stand-in node-v24.21.0-linux-x64.tar.gz");
export const MINGIT = Buffer.from("stand-in MinGit zip");
export const NODE_ARM64 = Buffer.from("stand-in node-v24.21.0-linux-arm64.tar.gz");

export async function indexOf(specs: (WheelSpec & { yanked?: string | true; requiresPythonOnIndex?: string })[], opts: PypiServerOptions = {}, extra: IndexedFile[] = []): Promise<PypiServer> {
  const files: IndexedFile[] = [];
  for (const s of specs) {
    const w = await makeWheel(s);
    files.push({ filename: w.filename, data: w.data, ...(s.yanked ? { yanked: s.yanked } : {}), ...(s.requiresPythonOnIndex ? { requiresPython: s.requiresPythonOnIndex } : {}) });
  }
  const server = await startPypiServer({ ...opts, files: [...files, ...extra] });
  afterAll(() => server.close());
  return server;
}

export async function fileServer(files: Record<string, Buffer>): Promise<FileServer> {
  const s = await startFileServer({ files: Object.fromEntries(Object.entries(files).map(([k, v]) => [`/${k}`, v])) });
  afterAll(() => s.close());
  return s;
}

export interface RecipeOptions {
  dir?: string;
  mirrors: Record<string, string[]>;
  requirements: string[];
  python?: { version?: string; win?: string; linux?: string; arm64?: string; glibc?: string; paths?: string[] };
  files: FileServer;
  packages?: Record<string, unknown>;
  buildRequires?: string[];
  extensionRequirements?: string[];
  platforms?: string[];
}

/** Writes recipe.yml + requirements.txt; returns the recipe path. */
export async function writeRecipe(o: RecipeOptions): Promise<string> {
  const dir = o.dir ?? (await tempDir("gb-py-recipe-"));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "requirements.txt"), o.requirements.join("\n") + "\n");
  // linux-arm64 entries only where the recipe targets it: the other tests keep their recipes as they were
  const arm = (o.platforms ?? []).includes("linux-arm64");
  const recipe = {
    recipe: 1,
    name: "pytest-world",
    version: "1.0.0",
    platforms: o.platforms ?? ["win-x64", "linux-x64"],
    mirrors: { files: [o.files.url], ...o.mirrors },
    python: {
      version: o.python?.version ?? "3.10.6",
      ...(o.python?.glibc ? { glibc: o.python.glibc } : {}),
      ...(o.python?.paths ? { paths: o.python.paths } : {}),
      "win-x64": { url: `mirror://files/${o.python?.win ?? "python-embed.zip"}`, sha256: "lock" },
      "linux-x64": { url: `mirror://files/${o.python?.linux ?? "python-linux.tar.gz"}`, sha256: "lock" },
      ...(arm ? { "linux-arm64": { url: `mirror://files/${o.python?.arm64 ?? "python-arm64.tar.gz"}`, sha256: "lock" } } : {}),
    },
    ...(o.extensionRequirements ? { git: { "win-x64": { url: "mirror://files/mingit.zip", sha256: "lock" } } } : {}),
    wheels: {
      indexes: ["pypi"],
      requirements: "requirements.txt",
      lock: "recipe.lock.json",
      ...(o.packages ? { packages: o.packages } : {}),
      ...(o.buildRequires ? { build_requires: o.buildRequires } : {}),
    },
    ...(o.extensionRequirements
      ? { extensions: { dir: "ext", items: [{ url: "http://127.0.0.1:9/ext-a.git", commit: "a".repeat(40), requirements: o.extensionRequirements }] } }
      : {}),
    launcher: {
      node: {
        "win-x64": { url: "mirror://files/node-win.zip", sha256: "lock" },
        "linux-x64": { url: "mirror://files/node-linux.tar.gz", sha256: "lock" },
        ...(arm ? { "linux-arm64": { url: "mirror://files/node-linux-arm64.tar.gz", sha256: "lock" } } : {}),
      },
      command: ["{python}", "-c", "print(1)"],
      ready: "/",
    },
  };
  const file = join(dir, "recipe.yml");
  await writeFile(file, JSON.stringify(recipe, null, 2));
  return file;
}
