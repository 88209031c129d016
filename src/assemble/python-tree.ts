// `python/` of a bundle: the runtime unpacked for the target, sdists built with their pinned build
// requirements (or taken from the cache by their sha256), every wheel installed, console scripts
// written, and every module compiled to bytecode. Called by assembly (src/assemble/build.ts) with
// the verified files of the plan: nothing here downloads.
//
// Each part is a kept tree of the cache (src/cache/kept.ts), made once in a folder of its own and
// linked into the bundle: the runtime (with its compiled standard library) under the runtime's
// digest, each wheel's installed files (with their bytecode) under the wheel's digest. A rebuild
// links them (no unzipping, no Python started); a changed wheel re-installs that wheel only. Cold
// and warm builds both go through the kept trees, so they give the same bytes.

import { join } from "node:path";
import type { Component } from "../contract/bundle-json.ts";
import { keepTree, keptDigests, lookupKept, placeKept, type Kept, type PlaceHow } from "../cache/kept.ts";
import { BundleError } from "../core/errors.ts";
import type { Emit } from "../core/events.ts";
import { PLATFORM_FACTS } from "../core/platform.ts";
import type { Fetched } from "../fetch/types.ts";
import { builderVersion } from "../launcher/script.ts";
import type { Plan, RuntimeArtifact, SdistArtifact, WheelArtifact } from "../plan/plan.ts";
import { pinnedArchiveError } from "../pack/extract.ts";
import type { Recipe } from "../recipe/schema.ts";
import { chooseCompiler, compileBytecode, compilerKind, minorOf, supportsUncheckedHash, type CompileResult, type Compiler } from "../python/bytecode.ts";
import { installWheels, uninstallDist, type InstalledDist } from "../python/install.ts";
import { normalizeName } from "../python/pep508.ts";
import { firstSysPath, unpackRuntime } from "../python/runtime.ts";
import { buildSdist } from "../python/sdist.ts";
import type { Target } from "../python/target.ts";

export interface PythonTreeOptions {
  plan: Plan;
  /** The bundle folder under construction. */
  root: string;
  /** Verified files by plan artifact id. */
  fetched: Map<string, Fetched>;
  cacheDir: string;
  emit?: Emit;
  signal?: AbortSignal;
  recipe: Recipe;
  /** Host Python for sdists (default $BUNDLE_HOST_PYTHON, else python3). */
  python?: string;
  env?: NodeJS.ProcessEnv;
  /** Wheels unpacked at the same time (default 4). */
  jobs?: number;
}

/** What compiled the bytecode of one kept tree, or why none was compiled. */
export interface KeptBytecode {
  compiler?: Pick<Compiler, "version" | "interpreter" | "source">;
  compiled: number;
  failed: string[];
  skipped?: string;
}

export interface PythonTree {
  components: Component[];
  /** The bytecode of the runtime and the wheels together. */
  bytecode: KeptBytecode;
  /** Kept trees made by this build (the rest were linked from the cache). */
  made: string[];
  linked: string[];
  strategy: PlaceHow;
  /** Compiles the rest of the bundle (the repositories) the same way. */
  maker: BytecodeMaker;
  /** The placed files' digests by path, from the kept records (the manifest does not read them again). */
  known: Map<string, { sha256: string; size: number }>;
}

function need(fetched: Map<string, Fetched>, id: string): Fetched {
  const f = fetched.get(id);
  if (!f) throw new BundleError("BUILD", `${id} was not fetched`, { hint: "run `bundle fetch` (or build without --offline) first" });
  return f;
}

/**
 * How the bytecode of a build is made, as part of the kept trees' keys: off, or which kind of
 * interpreter compiles (the bundle's own on a native build, a host one of the minor version on a
 * cross-build). The compiler is found only when a tree has to be made.
 */
export class BytecodeMaker {
  readonly tag: string;
  // by the runtime folder it was looked for in (a native build runs the runtime's own interpreter)
  private readonly found = new Map<string, Promise<Compiler | undefined>>();
  private readonly enabled: boolean;
  private readonly target: Target;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private readonly signal: AbortSignal | undefined;
  constructor(enabled: boolean, target: Target, env: NodeJS.ProcessEnv | undefined, signal: AbortSignal | undefined) {
    this.enabled = enabled;
    this.target = target;
    this.env = env;
    this.signal = signal;
    this.tag = !enabled ? "off" : !supportsUncheckedHash(target.pythonVersion) ? "unsupported" : `${compilerKind(target)}-${minorOf(target.pythonVersion)}`;
  }

  /** Compiles `dirs` of `root`; `runtime`: a folder holding the target's runtime (its python/), for a native build. */
  async compile(root: string, dirs: string[], runtime: string): Promise<KeptBytecode> {
    if (!this.enabled) return { compiled: 0, failed: [], skipped: "package.bytecode is false" };
    const version = this.target.pythonVersion;
    if (!supportsUncheckedHash(version)) return { compiled: 0, failed: [], skipped: `Python ${version} has no hash-based pycs (3.7 and later have)` };
    if (!this.found.has(runtime)) this.found.set(runtime, chooseCompiler({ root: runtime, target: this.target, ...(this.env ? { env: this.env } : {}), ...(this.signal ? { signal: this.signal } : {}) }));
    const compiler = await this.found.get(runtime)!;
    if (!compiler) return { compiled: 0, failed: [], skipped: `no Python ${minorOf(version)} on this machine to compile with (the target's interpreter is not run on a cross-build)` };
    const r: CompileResult = await compileBytecode({ root, dirs, compiler, ...(this.env ? { env: this.env } : {}), ...(this.signal ? { signal: this.signal } : {}) });
    return { compiler: { version: compiler.version, interpreter: compiler.interpreter, source: compiler.source }, compiled: r.compiled, failed: r.failed };
  }
}

/** Adds up the bytecode of several trees. */
export function sumBytecode(parts: KeptBytecode[]): KeptBytecode {
  const compiler = parts.find((p) => p.compiler)?.compiler;
  const skipped = parts.find((p) => p.skipped)?.skipped;
  return { ...(compiler ? { compiler } : {}), compiled: parts.reduce((n, p) => n + p.compiled, 0), failed: parts.flatMap((p) => p.failed), ...(skipped ? { skipped } : {}) };
}

interface RuntimeData {
  bytecode: KeptBytecode;
}
interface WheelData {
  dist: Pick<InstalledDist, "filename" | "name" | "version"> & { license?: string };
  site: string;
  bytecode: KeptBytecode;
}

export async function buildPythonTree(o: PythonTreeOptions): Promise<PythonTree> {
  const { plan, root } = o;
  const target = plan.target;
  const planned = plan.artifacts.filter((a): a is WheelArtifact => a.kind === "wheel");
  const unlocked = planned.filter((a) => !a.locked);
  if (unlocked.length > 0) {
    throw new BundleError("NOT_LOCKED", `${unlocked.length} wheel(s) are not in the lock for ${plan.platform}: ${unlocked.map((a) => a.requirement).join(", ")}`, {
      hint: `run \`bundle lock ${plan.recipe.file}\` with network access first`,
    });
  }
  const py = plan.artifacts.find((a): a is RuntimeArtifact => a.kind === "python");
  if (!py) throw new Error(`the plan of ${plan.bundleName} has no runtime artifact`);
  const runtime = need(o.fetched, py.id);
  const made: string[] = [];
  const linked: string[] = [];
  const bytecode = new BytecodeMaker(o.recipe.package.bytecode !== false, target, o.env, o.signal);
  const version = builderVersion();
  const scheme = JSON.stringify(target.scheme);
  const kept = async <T>(what: string, key: string, make: (dir: string) => Promise<T>): Promise<Kept<T>> => {
    o.signal?.throwIfAborted();
    const hit = await lookupKept<T>(o.cacheDir, key);
    if (hit) {
      linked.push(what);
      return hit;
    }
    made.push(what);
    return keepTree(o.cacheDir, key, make);
  };

  // The runtime: unpacked, its ._pth written, its standard library compiled.
  const paths = o.recipe.python.paths ?? [];
  const first = firstSysPath(o.recipe.launcher);
  const runtimeKey = `python-runtime:v1:${version}:${runtime.sha256}:${target.platform}:${target.pythonVersion}:${scheme}:${JSON.stringify(paths)}:${first ?? ""}:${bytecode.tag}`;
  const rt = await kept<RuntimeData>(`runtime ${py.version}`, runtimeKey, async (dir) => {
    await unpackRuntime({ archive: runtime.path, root: dir, target, paths, first, ...(o.signal ? { signal: o.signal } : {}) }).catch((e: unknown) => {
      throw pinnedArchiveError(e, runtime);
    });
    return { bytecode: await bytecode.compile(dir, [py.dest], dir) };
  });
  const components: Component[] = [{ kind: "python", name: "python", version: py.version, url: runtime.url, sha256: runtime.sha256, size: runtime.size, license: "PSF-2.0", dest: py.dest }];

  // Each wheel on its own (an sdist through the wheel it builds): installed into an empty folder
  // laid out like the bundle, then compiled.
  const wheels: { kept: Kept<WheelData>; source: Fetched }[] = [];
  const wheelTree = async (path: string, filename: string, sha256: string): Promise<Kept<WheelData>> =>
    kept<WheelData>(filename, `python-wheel:v1:${version}:${sha256}:${filename}:${target.platform}:${target.pythonVersion}:${scheme}:${bytecode.tag}`, async (dir) => {
      const [d] = await installWheels([{ path, filename }], { root: dir, target, ...(o.signal ? { signal: o.signal } : {}) });
      const b = await bytecode.compile(dir, [py.dest], rt.tree);
      return { dist: { filename: d!.filename, name: d!.name, version: d!.version, ...(d!.metadata.license ? { license: d!.metadata.license } : {}) }, site: target.scheme.purelib, bytecode: b };
    });
  const wheelJobs: (() => Promise<void>)[] = [];
  for (const a of planned) {
    if (!a.locked) continue; // refused above
    const f = need(o.fetched, a.id);
    wheelJobs.push(async () => void wheels.push({ kept: await wheelTree(f.path, a.filename, f.sha256), source: f }));
  }
  for (const a of plan.artifacts.filter((x): x is SdistArtifact => x.kind === "sdist")) {
    const f = need(o.fetched, a.id);
    // The pinned build requirements are plan artifacts of their own, fetched with everything else.
    const build = a.buildRequirements.map((id) => need(o.fetched, id));
    const sdistKey = `python-sdist:v1:${version}:${f.sha256}:${build.map((b) => b.sha256).sort().join(",")}:${target.platform}:${target.pythonVersion}:${scheme}:${bytecode.tag}`;
    wheelJobs.push(async () => {
      // The wheel an sdist builds is kept too, under the sdist's digest: a rebuild starts no pip.
      const k = await kept<WheelData>(`${a.name} ${a.version} (sdist)`, sdistKey, async (dir) => {
        const built = await buildSdist({
          sdist: f.path, sdistSha256: f.sha256, sdistFilename: decodeURIComponent(new URL(f.url).pathname.split("/").pop()!), name: a.name, version: a.version, target,
          cacheDir: o.cacheDir, buildWheels: build.map((b) => b.path), ...pass(o),
        });
        const [d] = await installWheels([{ path: built.path, filename: built.filename }], { root: dir, target, ...(o.signal ? { signal: o.signal } : {}) });
        const b = await bytecode.compile(dir, [py.dest], rt.tree);
        return { dist: { filename: d!.filename, name: d!.name, version: d!.version, ...(d!.metadata.license ? { license: d!.metadata.license } : {}) }, site: target.scheme.purelib, bytecode: b };
      });
      wheels.push({ kept: k, source: f });
    });
  }
  // Two at a time: a cold build's installs overlap; a warm one only reads small records.
  const queue = [...wheelJobs];
  await Promise.all([0, 1].map(async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  }));
  wheels.sort((x, y) => (x.kept.record.data.dist.name < y.kept.record.data.dist.name ? -1 : x.kept.record.data.dist.name > y.kept.record.data.dist.name ? 1 : 0));
  checkClashes(wheels.map((w) => w.kept), PLATFORM_FACTS[target.platform].caseInsensitive);

  o.emit?.({ type: "task:start", id: "python:place", title: "place the Python tree", total: 1 + wheels.length });
  let strategy = await placeKept(rt, root);
  // A wheel replaces the runtime's own install of the same distribution (its pip, say).
  for (const w of wheels) await uninstallDist(root, w.kept.record.data.site, normalizeName(w.kept.record.data.dist.name), w.kept.record.data.dist.filename);
  for (const w of wheels) strategy = await placeKept(w.kept, root, { strategy });
  // What uninstallDist removed from the runtime is simply not found by the manifest's walk.
  const known = new Map<string, { sha256: string; size: number }>();
  keptDigests(rt, known);
  for (const w of wheels) keptDigests(w.kept, known);
  o.emit?.({ type: "task:done", id: "python:place", detail: `${made.length} made, ${linked.length} from the cache (${strategy})` });

  for (const w of wheels) {
    const d = w.kept.record.data.dist;
    components.push({ kind: "wheel", name: d.name, version: d.version, url: w.source.url, sha256: w.source.sha256, size: w.source.size, ...(d.license ? { license: d.license } : {}), dest: target.scheme.purelib });
  }
  return { components, bytecode: sumBytecode([rt.record.data.bytecode, ...wheels.map((w) => w.kept.record.data.bytecode)]), made, linked, strategy, maker: bytecode, known };
}

/** Fails naming both wheels when two of them would write the same file. */
function checkClashes(trees: Kept<WheelData>[], caseInsensitive: boolean): void {
  const owner = new Map<string, string>();
  const clashes: string[] = [];
  for (const t of trees) {
    for (const e of t.record.entries) {
      if (e.kind === "dir") continue;
      const k = caseInsensitive ? e.path.toLowerCase() : e.path;
      const prev = owner.get(k);
      if (prev) clashes.push(`"${e.path}" is in both ${prev} and ${t.record.data.dist.filename}`);
      else owner.set(k, t.record.data.dist.filename);
    }
  }
  if (clashes.length > 0) {
    const shown = clashes.slice(0, 10).join("; ") + (clashes.length > 10 ? `; and ${clashes.length - 10} more` : "");
    throw new BundleError("BUILD", `wheels would overwrite each other's files: ${shown}`, {
      hint: "two pinned packages ship the same files (often a renamed fork, e.g. opencv-python and opencv-python-headless); keep one of them in the requirements",
      details: { clashes },
    });
  }
}

function pass(o: PythonTreeOptions) {
  return { ...(o.python ? { python: o.python } : {}), ...(o.env ? { env: o.env } : {}), ...(o.emit ? { emit: o.emit } : {}), ...(o.signal ? { signal: o.signal } : {}) };
}
