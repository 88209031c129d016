// The bytecode stage of `bundle build`: every `.py` of the Python tree and of the repositories
// compiled into unchecked-hash pycs (src/python/bytecode.ts says why and with which interpreter).
// A repository's checkout keeps a clean `git status`: `__pycache__/` joins its info/exclude.

import { appendFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Emit } from "../core/events.ts";
import { chooseCompiler, compileBytecode, minorOf, supportsUncheckedHash, type CompileResult } from "../python/bytecode.ts";
import { isRepo, type Plan } from "../plan/plan.ts";

export interface BytecodeStep {
  /** What compiled, or why nothing did. */
  result?: CompileResult;
  skipped?: string;
}

const abs = (root: string, rel: string) => join(root, ...rel.split("/"));

/** Folders to compile: the runtime, then each repository not already inside another one. */
export function bytecodeDirs(plan: Plan): string[] {
  const py = plan.artifacts.find((a) => a.kind === "python");
  const all = [...(py ? [py.dest] : []), ...plan.artifacts.filter(isRepo).map((a) => a.dest)];
  const inside = (d: string, o: string) => d !== o && d.startsWith(`${o}/`);
  return [...new Set(all)].filter((d) => !all.some((o) => inside(d, o))).sort();
}

export async function bytecodeStep(o: { root: string; plan: Plan; enabled: boolean; env?: NodeJS.ProcessEnv; emit: Emit; signal?: AbortSignal }): Promise<BytecodeStep> {
  const { plan, emit } = o;
  if (!o.enabled) return { skipped: "package.bytecode is false" };
  const version = plan.target.pythonVersion;
  if (!supportsUncheckedHash(version)) {
    const skipped = `Python ${version} has no hash-based pycs (3.7 and later have)`;
    emit({ type: "warning", message: `no bytecode shipped: ${skipped}; the first launch compiles every module it imports` });
    return { skipped };
  }
  const compiler = await chooseCompiler({ root: o.root, target: plan.target, ...(o.env ? { env: o.env } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  if (!compiler) {
    const skipped = `no Python ${minorOf(version)} on this machine to compile with (the target's interpreter is not run on a cross-build)`;
    emit({
      type: "warning",
      message: `no bytecode shipped: ${skipped}; the first launch compiles every module it imports and writes the .pyc files into the bundle`,
      hint: `install Python ${minorOf(version)} or point BUNDLE_HOST_PYTHON at one, or set package.bytecode: false to silence this`,
    });
    return { skipped };
  }
  const dirs = bytecodeDirs(plan);
  const result = await compileBytecode({ root: o.root, dirs, compiler, ...(o.env ? { env: o.env } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  for (const r of plan.artifacts.filter(isRepo)) await excludeBytecode(abs(o.root, r.dest));
  const failed = result.failed.length ? `; ${result.failed.length} not compiled (not valid Python ${minorOf(version)}): ${result.failed.slice(0, 5).join(", ")}${result.failed.length > 5 ? ", …" : ""}` : "";
  emit({ type: "info", message: `bytecode: ${result.compiled} .pyc files (unchecked-hash) compiled by ${compiler.source}${failed}` });
  return { result };
}

/** `__pycache__/` in the checkout's info/exclude, once. */
async function excludeBytecode(repo: string): Promise<void> {
  const info = join(repo, ".git", "info");
  const file = join(info, "exclude");
  const now = await readFile(file, "utf8").catch(() => "");
  if (now.split("\n").includes("__pycache__/")) return;
  await mkdir(info, { recursive: true });
  await appendFile(file, `${now === "" || now.endsWith("\n") ? "" : "\n"}# bytecode compiled by greenbundle at build time\n__pycache__/\n`);
}
