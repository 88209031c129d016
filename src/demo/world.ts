// The built-in local world of `bundle demo` and the end-to-end test: everything the demo recipes
// (recipes/demo*.yml) need, served on 127.0.0.1 the way the real internet serves it — a simple
// package index (generated wheels, plus Debian's real pip/setuptools/wheel when the machine has
// them), git smart HTTP for the stand-in apps (apps.ts) and their extensions, Hugging-Face-style
// file URLs for the "checkpoint", a relocatable Python runtime made from the host's Python, and a
// nodejs.org-style archive of the running node for the launcher (pkg --sea needs the very Node
// version it runs under, so the demo ships the one it has).

import { createHash } from "node:crypto";
import { copyFile, link, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { silent, type Emit } from "../core/events.ts";
import { DEMO_APPS, DEMO_REPOS, REPO_SOURCES, type DemoApp, type DemoRepo } from "./apps.ts";
import { createFixtureRepo, startGitServer, type GitServer } from "./git-server.ts";
import { startFileServer, type FileServer } from "./http-server.ts";
import { startPypiServer, type IndexedFile, type PypiServer } from "./pypi-server.ts";
import { makeRuntime } from "./runtime.ts";
import { makeWheel } from "./wheels.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
/** The demo recipe that `bundle demo` extends (the A1111 stand-in's; apps.ts names the others). */
export const DEMO_RECIPE = join(HERE, "..", "..", "recipes", "demo.yml");

/** The recipe in recipes/ of a demo app. */
export function demoRecipeOf(app: DemoApp): string {
  return join(HERE, "..", "..", "recipes", DEMO_APPS[app].recipe);
}
/** Where Debian's python3-*-whl packages put real wheels (absent on a fresh machine: fine). */
export const DEBIAN_WHEELS = "/usr/share/python-wheels";

/** Where each demo artifact lives, relative to its mirror list (recipes/demo*.yml use the same paths). */
export const DEMO_PATHS = {
  ...DEMO_REPOS,
  checkpoint: "greenbundle/demo-model/resolve/main/demo-v1.ckpt",
} as const;

export interface DemoWorld {
  /** Mirror list name → base URLs (what the generated recipe puts under `mirrors:`). */
  mirrors: Record<string, string[]>;
  python: { version: string; url: string; sha256: string; size: number; relocation: "patchelf" | "wrapper" };
  node: { version: string; url: string; sha256: string; size: number };
  /** Pinned commits of the stand-ins' repositories (deterministic). */
  commits: Record<DemoRepo, string>;
  /** Exact pins the index can satisfy: the generated wheels, then the real ones found. */
  requirements: string[];
  realWheels: string[];
  servers: { files: FileServer; pypi: PypiServer; git: GitServer };
  close(): Promise<void>;
}

/** The demo "checkpoint": a fixed header and 1 MiB of sha256-counter bytes (same on every machine). */
export function demoCheckpoint(): Buffer {
  const parts = [Buffer.from("GBDEMO-CHECKPOINT-1\n")];
  for (let i = 0; i < 32768; i++) parts.push(createHash("sha256").update(`greenbundle demo weights ${i}`).digest());
  return Buffer.concat(parts);
}

/** Files of a folder under src/demo/app/, path → text, sorted, bytecode left out. */
export async function appFiles(folder: "repo" | "extension" | "palette" | "comfy" | "comfy-nodes" | "script"): Promise<Record<string, string>> {
  const root = join(HERE, "app", folder);
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name === "__pycache__" || e.name.endsWith(".pyc")) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out[relative(root, p).split("\\").join("/")] = await readFile(p, "utf8");
    }
  };
  await walk(root);
  return out;
}

/** The files of a demo repository; the ComfyUI and script stand-ins take the WebUI's painter along. */
export async function repoFiles(repo: DemoRepo): Promise<Record<string, string>> {
  const src = REPO_SOURCES[repo];
  const files = await appFiles(src.folder);
  return src.painter ? { ...files, "painter.py": (await appFiles("repo"))["painter.py"]! } : files;
}

/** The stand-ins' repositories; the pinned app commit is not the branch tip (as with real releases). */
export async function makeDemoRepos(root: string): Promise<Record<DemoRepo, string>> {
  const app = await createFixtureRepo(root, DEMO_PATHS.app, [
    { message: "demo-webui 1.0.0", files: await repoFiles("app") },
    { message: "work in progress after the release", files: { "CHANGELOG.md": "## Unreleased\n\n- nothing yet\n" } },
  ]);
  const one = async (repo: DemoRepo, message: string) => (await createFixtureRepo(root, DEMO_PATHS[repo], [{ message, files: await repoFiles(repo) }]))[0]!;
  return {
    app: app[0]!,
    extension: await one("extension", "demo-vignette 1.0"),
    comfyui: await one("comfyui", "demo-comfyui 0.3.64"),
    comfyNodes: await one("comfyNodes", "gb-demo-nodes 1.0"),
    script: await one("script", "demo-txt2img 2.1"),
  };
}

/** The index's files: the generated palette wheel, plus pip/setuptools/wheel from `wheelsDir` when there. */
export async function indexFiles(wheelsDir = DEBIAN_WHEELS): Promise<{ files: IndexedFile[]; requirements: string[]; real: string[] }> {
  const palette = await makeWheel({ name: "gb-demo-palette", version: "1.0.0", files: await appFiles("palette"), license: "MIT", requiresPython: ">=3.8" });
  const files: IndexedFile[] = [{ filename: palette.filename, data: palette.data }];
  const requirements = ["gb-demo-palette==1.0.0"];
  const real: string[] = [];
  const names = await readdir(wheelsDir).catch(() => [] as string[]);
  for (const n of names.sort()) {
    const m = /^(pip|setuptools|wheel)-([0-9][^-]*)-py3-none-any\.whl$/.exec(n);
    if (!m) continue;
    files.push({ filename: n, data: await readFile(join(wheelsDir, n)) });
    requirements.push(`${m[1]}==${m[2]}`);
    real.push(n);
  }
  return { files, requirements, real };
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** `node-v<ver>-linux-x64.tar.gz` holding the running node as `node-v<ver>-linux-x64/bin/node`. */
async function nodeArchive(dir: string): Promise<{ version: string; name: string; data: Buffer }> {
  const version = process.version.slice(1);
  const top = `node-v${version}-linux-x64`;
  const stage = join(dir, "node-stage");
  await mkdir(join(stage, top, "bin"), { recursive: true });
  const bin = join(stage, top, "bin", "node");
  await link(process.execPath, bin).catch(() => copyFile(process.execPath, bin));
  const out = join(dir, `${top}.tar.gz`);
  const tar = await import("tar");
  // level 1: this archive only travels over loopback, and gzip -6 of 100+ MB costs seconds
  await tar.c({ file: out, cwd: stage, gzip: { level: 1 }, portable: true, mtime: new Date(Date.UTC(2020, 0, 1)) }, [top]);
  await rm(stage, { recursive: true, force: true });
  return { version, name: basename(out), data: await readFile(out) };
}

export interface WorldOptions {
  /** A scratch folder for the runtime, the node archive and the git repositories. */
  dir: string;
  emit?: Emit;
  /** Host Python to copy (default python3). */
  python?: string;
  /** Where real wheels are looked for (default Debian's /usr/share/python-wheels). */
  wheelsDir?: string;
}

export async function startDemoWorld(o: WorldOptions): Promise<DemoWorld> {
  const emit = o.emit ?? silent;
  await mkdir(o.dir, { recursive: true });
  const step = async <T>(title: string, fn: () => Promise<T>): Promise<T> => {
    emit({ type: "task:start", id: `world:${title}`, title });
    const r = await fn();
    emit({ type: "task:done", id: `world:${title}` });
    return r;
  };
  const [runtime, node, commits, index] = await Promise.all([
    step("relocatable Python runtime from the host's Python", () => makeRuntime({ out: join(o.dir, "python-runtime.tar.gz"), ...(o.python ? { python: o.python } : {}) })),
    step("Node archive of the running node", () => nodeArchive(o.dir)),
    step("git repositories of the stand-in apps and their extensions", () => makeDemoRepos(join(o.dir, "git"))),
    step("wheels for the package index", () => indexFiles(o.wheelsDir)),
  ]);
  const runtimeName = `python-${runtime.version}-linux-x64.tar.gz`;
  const files = await startFileServer({
    files: {
      [`/python/${runtimeName}`]: await readFile(runtime.path),
      [`/node/v${node.version}/${node.name}`]: node.data,
      [`/hf/${DEMO_PATHS.checkpoint}`]: demoCheckpoint(),
    },
    linked: true,
  });
  const pypi = await startPypiServer({ files: index.files, metadata: true });
  const git = await startGitServer({ root: join(o.dir, "git") });
  return {
    mirrors: { pypi: [pypi.simple], github: [git.url], huggingface: [`${files.url}/hf`], python: [`${files.url}/python`], node: [`${files.url}/node`] },
    python: { version: runtime.version, url: `mirror://python/${runtimeName}`, sha256: runtime.sha256, size: runtime.size, relocation: runtime.mode },
    node: { version: node.version, url: `mirror://node/v${node.version}/${node.name}`, sha256: sha256(node.data), size: node.data.length },
    commits,
    requirements: index.requirements,
    realWheels: index.real,
    servers: { files, pypi, git },
    async close() {
      await Promise.all([files.close(), pypi.close(), git.close()]);
    },
  };
}

/**
 * The recipe `bundle demo` builds: the app's demo recipe (by absolute path) with the world's
 * mirrors and the facts only this machine knows (its Python version, the hashes of the runtime
 * and node archives made here). Deep merge (`extends`): mappings merge, lists replace.
 */
export function generatedRecipe(w: DemoWorld, paths: { base: string; requirements: string; lock: string }, app: DemoApp = "a1111"): string {
  const j = (v: unknown) => JSON.stringify(v);
  const spec = DEMO_APPS[app];
  const ext = spec.extensions;
  const lines = [
    "# yaml-language-server: $schema=" + j(join(dirname(paths.base), "..", "schema", "recipe.schema.json")),
    "# Generated by `bundle demo`: the demo recipe with this run's local mirrors. Do not edit.",
    "recipe: 1",
    `extends: ${j(paths.base)}`,
    "mirrors:",
    ...Object.entries(w.mirrors).map(([k, v]) => `  ${k}: ${j(v)}`),
    "python:",
    `  version: ${j(w.python.version)}`,
    `  linux-x64: { url: ${j(w.python.url)}, sha256: ${w.python.sha256}, size: ${w.python.size} }`,
    "wheels:",
    `  requirements: ${j(paths.requirements)}`,
    `  lock: ${j(paths.lock)}`,
    "repos:",
    ...spec.repos.map((r) => `  - { path: ${j(r.path)}, url: ${j(`mirror://github/${DEMO_PATHS[r.repo]}`)}, commit: ${w.commits[r.repo]} }`),
    ...(ext
      ? ["extensions:", `  dir: ${j(ext.dir)}`, `  items: [${ext.items.map((e) => `{ name: ${j(e.name)}, url: ${j(`mirror://github/${DEMO_PATHS[e.repo]}`)}, commit: ${w.commits[e.repo]} }`).join(", ")}]`]
      : []),
    "launcher:",
    "  node:",
    `    linux-x64: { url: ${j(w.node.url)}, sha256: ${w.node.sha256}, size: ${w.node.size} }`,
    "",
  ];
  return lines.join("\n");
}

/** Writes the generated recipe of `app` and its requirements file into `dir`; returns the recipe path. */
export async function writeDemoRecipe(w: DemoWorld, dir: string, base = DEMO_RECIPE, app: DemoApp = "a1111"): Promise<string> {
  await mkdir(dir, { recursive: true });
  const requirements = join(dir, "demo.requirements.txt");
  await writeFile(requirements, ["# generated by `bundle demo`: the wheels the local index serves", ...w.requirements, ""].join("\n"));
  const recipe = join(dir, "demo.yml");
  await writeFile(recipe, generatedRecipe(w, { base, requirements, lock: join(dir, "demo.lock.json") }, app));
  return recipe;
}
