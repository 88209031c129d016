// Placing the embedded interpreter at `python/` of a bundle; the platform's `python.runtime` fact
// says which kind of archive the recipe names:
// - "windows-embeddable": the Windows embeddable zip, unpacked as is; its pythonXY._pth is rewritten so that
//   site-packages, the recipe's app folders and `import site` are on (the stock file isolates the
//   interpreter from everything but its own folder);
// - "standalone": a python-build-standalone `install_only` tar.gz, whose top folder is `python/`.

import { lstat, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { BundleError } from "../core/errors.ts";
import { extractArchive, type ExtractResult } from "../pack/extract.ts";
import { PLATFORM_FACTS } from "../core/platform.ts";
import { posixHeader } from "./scripts.ts";
import type { Target } from "./target.ts";

export interface UnpackRuntimeOptions {
  /** The runtime archive (a verified cache blob). */
  archive: string;
  /** Bundle folder under construction; the runtime goes to `<root>/python`. */
  root: string;
  target: Target;
  /** Recipe `python.paths`: folders relative to the bundle root put on sys.path (the embeddable runtime's ._pth). */
  paths?: readonly string[];
  /** Embeddable runtime: the folder Python would put first on sys.path for the launcher's command (see `firstSysPath`). */
  first?: string | undefined;
  signal?: AbortSignal;
}

export async function unpackRuntime(opts: UnpackRuntimeOptions): Promise<ExtractResult & { pth?: string }> {
  const dest = join(opts.root, "python");
  const signal = opts.signal ? { signal: opts.signal } : {};
  if (PLATFORM_FACTS[opts.target.platform].python.runtime === "windows-embeddable") {
    // Windows cannot hold symbolic links portably; the embeddable zip has none.
    const r = await extractArchive(opts.archive, dest, { format: "zip", links: "refuse", ...signal });
    const pth = await rewritePth(dest, opts.target, opts.paths ?? [], opts.first);
    await mkdir(join(opts.root, opts.target.scheme.purelib), { recursive: true });
    return { ...r, pth };
  }
  const r = await extractArchive(opts.archive, dest, { format: "tar.gz", strip: "python", ...signal });
  const site = join(opts.root, opts.target.scheme.purelib);
  try {
    await readdir(join(dest, "lib", `python${shortVersion(opts.target)}`));
  } catch {
    throw new BundleError("BUILD", `the runtime archive has no lib/python${shortVersion(opts.target)}: it is not CPython ${opts.target.pythonVersion}`, {
      hint: "python.version in the recipe must match the runtime archive (a python-build-standalone install_only tar.gz)",
    });
  }
  await mkdir(site, { recursive: true });
  await relocateRuntimeScripts(join(dest, "bin"), opts.target);
  return r;
}

/**
 * python-build-standalone ships pip's scripts (bin/pip3, …) with the build machine's interpreter
 * in the shebang (`#!/install/bin/python3`); give them the relocatable header the installer writes.
 */
async function relocateRuntimeScripts(bin: string, target: Target): Promise<void> {
  let names: string[];
  try {
    names = await readdir(bin);
  } catch {
    return;
  }
  for (const n of names) {
    const p = join(bin, n);
    const st = await lstat(p);
    if (!st.isFile() || st.size > 1 << 20) continue;
    const data = await readFile(p);
    const nl = data.indexOf(0x0a);
    const first = data.subarray(0, nl < 0 ? data.length : nl).toString("latin1");
    if (!/^#!\s*\/\S*python[\d.]*w?\s*$/.test(first)) continue;
    await writeFile(p, Buffer.concat([Buffer.from(posixHeader(target)), nl < 0 ? Buffer.alloc(0) : data.subarray(nl + 1)]), { mode: st.mode & 0o7777 });
  }
}

function shortVersion(t: Target): string {
  return t.pythonVersion.split(".").slice(0, 2).join(".");
}

/** Python options that take their value as the next argument (`python -W error script.py`). */
const OPTION_WITH_VALUE = new Set(["-W", "-X", "--check-hash-based-pycs"]);

/**
 * The folder, relative to the bundle root, that Python puts first on sys.path for the launcher's
 * command: the script's folder for `{python} path/script.py`, the working folder for `-m` / `-c`
 * (docs.python.org "The initialization of the sys.path module search path"). A ._pth file turns
 * that off (CPython Modules/getpath.py sets safe_path with it), so without this entry
 * `{python} launch.py` cannot import its own modules from the embeddable Python. Undefined when
 * the command does not start with `{python}` or names a script outside the bundle.
 */
export function firstSysPath(launcher: { cwd?: string | undefined; command: readonly string[] }): string | undefined {
  if (launcher.command[0] !== "{python}") return undefined;
  const cwd = launcher.cwd ?? "";
  const args = launcher.command.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-" || /^-[mc]/.test(a)) return inBundle(cwd);
    if (OPTION_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith("-")) {
      const script = a.replace(/\\/g, "/");
      const fromRoot = script.startsWith("{bundle}/") ? script.slice("{bundle}/".length) : undefined;
      if (fromRoot === undefined && (script.includes("{") || posix.isAbsolute(script) || /^[A-Za-z]:/.test(script))) return undefined;
      return inBundle(posix.dirname(fromRoot ?? posix.join(cwd, script)));
    }
  }
  return inBundle(cwd); // the interactive interpreter: the working folder
}

function inBundle(p: string): string | undefined {
  const n = posix.normalize(p === "" ? "." : p).replace(/\/+$/, "");
  if (n === ".") return "";
  return n === ".." || n.startsWith("../") ? undefined : n;
}

/**
 * The ._pth content, deterministic for given inputs (docs.python.org "The initialization of the
 * sys.path module search path", ._pth files): `first` (the launcher's script folder, where
 * Python without a ._pth puts it: before the stdlib), the stdlib zip and `.`, then
 * `Lib\site-packages`, then each app folder as `..\<path>`, then `import site`.
 */
export function pthContent(original: string, target: Target, paths: readonly string[], first?: string): string {
  const keep: string[] = first === undefined ? [] : [first === "" ? ".." : `..\\${first.replace(/\//g, "\\")}`];
  for (const raw of original.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || /^import\s+site\b/.test(line)) continue;
    if (!keep.includes(line)) keep.push(line);
  }
  const site = posix.relative("python", target.scheme.purelib).replace(/\//g, "\\");
  const lines = [...keep];
  for (const extra of [site, ...paths.map((p) => `..\\${p.replace(/\/+$/, "").replace(/\//g, "\\")}`)]) if (!lines.includes(extra)) lines.push(extra);
  const what = first === undefined ? "stdlib" : "the launcher's script folder, stdlib";
  return [`# written by greenbundle: ${what}, site-packages and the recipe's python.paths`, ...lines, "import site", ""].join("\r\n");
}

async function rewritePth(dest: string, target: Target, paths: readonly string[], first?: string): Promise<string> {
  const pthName = `python${target.nodot}._pth`;
  const names = await readdir(dest);
  const found = names.find((n) => n.toLowerCase() === pthName) ?? names.find((n) => /^python3\d+\._pth$/i.test(n));
  if (!found) {
    throw new BundleError("BUILD", `the ${target.platform} runtime has no ${pthName}: it is not a Windows embeddable Python ${target.pythonVersion}`, {
      hint: `python.${target.platform} must point at python-X.Y.Z-embed-amd64.zip matching python.version`,
    });
  }
  if (found.toLowerCase() !== pthName) {
    throw new BundleError("BUILD", `the ${target.platform} runtime holds ${found}, but python.version is ${target.pythonVersion} (expected ${pthName})`, {
      hint: "make python.version match the embeddable zip",
    });
  }
  const text = pthContent(await readFile(join(dest, found), "utf8"), target, paths, first);
  await writeFile(join(dest, found), text);
  return `python/${found}`;
}
