// Bytecode shipped with the bundle: every `.py` of the runtime (standard library and
// site-packages) and of the repositories compiled at build time, so that a first launch compiles
// nothing (an app that imports torch, gradio and transformers otherwise compiles thousands of
// modules on its first start, and writes them into the bundle).
//
// The `.pyc` files are unchecked-hash pycs (PEP 552, flags 0b01): the header holds the source's
// hash, which the interpreter does not check, and no timestamp. Unpacking the archive gives every
// file a new mtime, which would invalidate timestamp pycs; unchecked ones stay valid, and the bytes
// depend only on the sources and the compiler, so the archive stays reproducible. The file name
// stored in each code object is the path relative to the bundle root (the import system replaces
// it with the real path when it loads the pyc), so the partial build folder's name is not in them.
//
// The compiler is an interpreter of the target's minor version (the pyc format and magic number
// are fixed within a minor version): on a native build the bundle's own interpreter, otherwise a
// host interpreter of that minor version ($BUNDLE_HOST_PYTHON, pythonX.Y, python3, python on
// PATH). A cross-build never runs the target's interpreter. No such interpreter: no bytecode, and
// the caller warns.

import { join } from "node:path";
import { OWN_GROUP, tieGroup } from "../core/children.ts";
import { hostPlatform, PLATFORM_FACTS } from "../core/platform.ts";
import type { Target } from "./target.ts";

/** The interpreter that compiles, and why it was chosen (shown in the build log). */
export interface Compiler {
  python: string;
  version: string;
  interpreter: "bundle" | "host";
  /** "the bundle's own interpreter" or "host interpreter <path>". */
  source: string;
}

export interface CompileResult {
  compiler: Compiler;
  /** .pyc files written. */
  compiled: number;
  /** Sources the compiler refused (syntax of another Python version, templates named .py), relative to the root. */
  failed: string[];
}

// One process, a pool of workers over the sorted file list. Symbolic links are skipped (their
// target is compiled where it lies, if inside), `__pycache__` and `.git` are not entered.
const SCRIPT = String.raw`
import sys, os, json, py_compile, importlib.util
from concurrent.futures import ProcessPoolExecutor
root = sys.argv[1]
dirs = sys.argv[2:]
mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
def sources():
    out = []
    for d in dirs:
        for top, subs, names in os.walk(os.path.join(root, d)):
            subs[:] = sorted(s for s in subs if s not in ("__pycache__", ".git"))
            for n in sorted(names):
                p = os.path.join(top, n)
                if n.endswith(".py") and not os.path.islink(p):
                    out.append(p)
    return out
def one(path):
    rel = os.path.relpath(path, root).replace(os.sep, "/")
    try:
        py_compile.compile(path, cfile=importlib.util.cache_from_source(path), dfile=rel, doraise=True, invalidation_mode=mode)
        return None
    except Exception:
        return rel
if __name__ == "__main__":
    files = sources()
    workers = max(1, min(os.cpu_count() or 1, 8))
    if workers == 1 or len(files) < 64:
        results = [one(p) for p in files]
    else:
        with ProcessPoolExecutor(max_workers=workers) as ex:
            results = list(ex.map(one, files, chunksize=32))
    failed = [r for r in results if r is not None]
    print(json.dumps({"compiled": len(files) - len(failed), "failed": failed}))
`;

const VERSION = "import sys; print('%d.%d.%d' % sys.version_info[:3])";

export const minorOf = (v: string) => v.split(".").slice(0, 2).join(".");

/** The oldest Python with hash-based pycs (3.7) and py_compile's dfile for them. */
export function supportsUncheckedHash(version: string): boolean {
  const [maj, min] = version.split(".").map(Number);
  return maj! > 3 || (maj === 3 && min! >= 7);
}

async function versionOf(python: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string | undefined> {
  const { execa } = await import("execa");
  const r = await execa(python, ["-I", "-S", "-c", VERSION], { reject: false, timeout: 30_000, env, extendEnv: false, ...(signal ? { cancelSignal: signal } : {}) }).catch(() => undefined);
  return r && r.exitCode === 0 ? String(r.stdout).trim() : undefined;
}

/**
 * The interpreter that compiles for `target`, or undefined when neither the bundle's own (on a
 * native build) nor a host interpreter of the target's minor version is found.
 */
export async function chooseCompiler(o: { root: string; target: Target; env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<Compiler | undefined> {
  return (await compilerChoice(o)).compiler;
}

/** Whether a build for `target` compiles with the bundle's own interpreter (a native build) or a host one. */
export function compilerKind(target: Target): "native" | "cross" {
  return hostPlatform() === target.platform ? "native" : "cross";
}

async function compilerChoice(o: { root: string; target: Target; env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<{ compiler?: Compiler }> {
  const want = minorOf(o.target.pythonVersion);
  const env = o.env ?? process.env;
  if (hostPlatform() === o.target.platform) {
    const own = join(o.root, ...PLATFORM_FACTS[o.target.platform].python.interpreter.split("/"));
    const v = await versionOf(own, env, o.signal);
    if (v && minorOf(v) === want) return { compiler: { python: own, version: v, interpreter: "bundle", source: "the bundle's own interpreter" } };
  }
  const candidates = [env.BUNDLE_HOST_PYTHON, `python${want}`, "python3", "python"].filter((c): c is string => !!c);
  for (const c of [...new Set(candidates)]) {
    const v = await versionOf(c, env, o.signal);
    if (v && minorOf(v) === want) return { compiler: { python: c, version: v, interpreter: "host", source: `host interpreter ${c} (Python ${v})` } };
  }
  return {};
}

/** Compiles every `.py` under `dirs` (relative to `root`) into unchecked-hash pycs next to them. */
export async function compileBytecode(o: { root: string; dirs: string[]; compiler: Compiler; env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<CompileResult> {
  const { execa } = await import("execa");
  // -I: none of the builder's PYTHON* variables or user site; -B: the compiler's own imports leave no pycs behind.
  const sub = execa(o.compiler.python, ["-I", "-B", "-c", SCRIPT, o.root, ...o.dirs], { reject: false, env: o.env ?? process.env, extendEnv: false, ...OWN_GROUP });
  const untie = tieGroup(sub.pid, o.signal);
  const r = await sub.finally(untie);
  o.signal?.throwIfAborted();
  if (r.exitCode !== 0) throw new Error(`compiling bytecode with ${o.compiler.python} failed (exit ${r.exitCode}): ${String(r.stderr).split("\n").slice(-5).join("\n")}`);
  const out = JSON.parse(String(r.stdout).trim().split("\n").pop()!) as { compiled: number; failed: string[] };
  return { compiler: o.compiler, compiled: out.compiled, failed: out.failed };
}
