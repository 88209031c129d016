// A build rule: a Windows bundle whose packages load DLLs that neither Windows nor the embeddable
// Python provides (torch needs the MSVC C++ runtime, msvcp140.dll) must carry them next to
// python.exe, where Windows' DLL search finds them first. Otherwise the bundle starts on the
// maintainer's machine (which has the Visual C++ Redistributable) and fails on a clean one.
// The needs are the launcher's table (src/launcher/runtime/native-needs.ts), which the doctor
// checks on the user's machine as well.

import { stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { BundleError } from "../core/errors.ts";
import { PLATFORM_FACTS } from "../core/platform.ts";
import type { Component } from "../contract/bundle-json.ts";
import type { Plan } from "../plan/plan.ts";
import { needsOf } from "../launcher/runtime/native-needs.ts";

export interface MissingNative {
  packages: string[];
  /** Bundle-relative paths that are missing. */
  missing: string[];
}

/** What the bundle's packages need beside the interpreter and the bundle lacks (Windows targets). */
export async function missingNativeFiles(root: string, plan: Plan, components: readonly Component[]): Promise<MissingNative[]> {
  const os = PLATFORM_FACTS[plan.platform].os;
  if (os !== "windows") return [];
  const names = components.filter((c) => c.kind === "wheel").map((c) => c.name);
  const folder = dirname(plan.target.python);
  const out: MissingNative[] = [];
  for (const need of needsOf(names, os)) {
    const missing: string[] = [];
    for (const f of need.files) {
      const rel = `${folder}/${f}`;
      if (!(await stat(join(root, ...rel.split("/"))).catch(() => undefined))?.isFile()) missing.push(rel);
    }
    if (missing.length) out.push({ packages: need.packages.filter((p) => names.some((n) => n.toLowerCase().replace(/[-_.]+/g, "-") === p)), missing });
  }
  return out;
}

export async function checkNativeFiles(root: string, plan: Plan, components: readonly Component[]): Promise<void> {
  const problems = await missingNativeFiles(root, plan, components);
  if (!problems.length) return;
  const lines = problems.map((p) => `  ${p.packages.join(", ")} needs ${p.missing.join(", ")}`);
  throw new BundleError("BUILD", `${plan.bundleName} would not start on a Windows machine without the Visual C++ runtime: the Python folder lacks DLLs its packages load:\n${lines.join("\n")}`, {
    hint: "pin a hashed wheel that installs them next to python.exe, e.g. msvc-runtime==14.32.31326 ; sys_platform == \"win32\" in the requirements (its .data/data/ files land in the Python folder)",
  });
}
