// The bytecode of `bundle build`: every `.py` of the Python tree and of the repositories compiled
// into unchecked-hash pycs (src/python/bytecode.ts says why and with which interpreter) inside the
// kept trees they belong to (python-tree.ts, placeReposKept), and reported here once for the whole
// bundle. A repository's checkout keeps a clean `git status`: `__pycache__/` joins its info/exclude.

import { appendFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Emit } from "../core/events.ts";
import { minorOf } from "../python/bytecode.ts";
import type { Plan } from "../plan/plan.ts";
import { sumBytecode, type KeptBytecode } from "./python-tree.ts";

/** The bundle's bytecode: what compiled it and how many files, or why none. */
export type BytecodeStep = KeptBytecode;

/** Adds the parts up, says what was compiled by what (or warns why nothing was). */
export function reportBytecode(parts: KeptBytecode[], plan: Plan, emit: Emit): BytecodeStep {
  const all = sumBytecode(parts);
  const version = minorOf(plan.target.pythonVersion);
  if (all.skipped && all.skipped !== "package.bytecode is false") {
    emit({
      type: "warning",
      message: `no bytecode shipped: ${all.skipped}; the first launch compiles every module it imports and writes the .pyc files into the bundle`,
      hint: `install Python ${version} or point BUNDLE_HOST_PYTHON at one, or set package.bytecode: false to silence this`,
    });
  }
  if (all.compiler) {
    const failed = all.failed.length ? `; ${all.failed.length} not compiled (not valid Python ${version}): ${all.failed.slice(0, 5).join(", ")}${all.failed.length > 5 ? ", …" : ""}` : "";
    emit({ type: "info", message: `bytecode: ${all.compiled} .pyc files (unchecked-hash) by ${all.compiler.source}${failed}` });
  }
  return all;
}

/** `__pycache__/` in the checkout's info/exclude, once. */
export async function excludeBytecode(repo: string): Promise<void> {
  const info = join(repo, ".git", "info");
  const file = join(info, "exclude");
  const now = await readFile(file, "utf8").catch(() => "");
  if (now.split("\n").includes("__pycache__/")) return;
  await mkdir(info, { recursive: true });
  await appendFile(file, `${now === "" || now.endsWith("\n") ? "" : "\n"}# bytecode compiled by greenbundle at build time\n__pycache__/\n`);
}
