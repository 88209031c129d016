// Test and demo runtimes:
// - makeRuntime: a relocatable CPython made from the host's shared-library Python 3.11, packed the
//   way python-build-standalone packs `install_only` (a tar.gz whose top folder is `python/`).
//   The copied interpreter must load the copied libpython, not the build machine's: with patchelf
//   its RUNPATH becomes `$ORIGIN/../lib`; without it (a fresh machine has none) bin/python3 is a
//   small sh wrapper that puts its own ../lib first on LD_LIBRARY_PATH (searched before RUNPATH)
//   and execs the real binary.
// - makeEmbeddableStub: a stand-in for the Windows embeddable zip, for structural tests of the
//   win-x64 tree on any host (the binaries are placeholders, the layout and ._pth are real).

import { createHash } from "node:crypto";
import { chmod, copyFile, cp, mkdir, mkdtemp, readdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { BundleError } from "../core/errors.ts";

export interface HostPython {
  version: string;
  /** The real interpreter binary (symlinks resolved). */
  executable: string;
  stdlib: string;
  libdir: string;
  /** libpython's soname, e.g. libpython3.11.so.1.0; undefined for a static build. */
  soname?: string;
}

export interface MadeRuntime {
  path: string;
  sha256: string;
  size: number;
  version: string;
  /** How the copy finds its own libpython. */
  mode: "patchelf" | "wrapper";
}

export interface RuntimeOptions {
  /** Host interpreter to copy (default "python3"). */
  python?: string;
  /** Where the .tar.gz goes. */
  out: string;
  /** "auto" (default): patchelf when it is installed, else the wrapper. */
  relocate?: "auto" | "patchelf" | "wrapper";
}

const run = async (cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) => {
  const { execa } = await import("execa");
  return execa(cmd, args, { reject: false, ...(opts.env ? { env: opts.env } : {}) });
};

export async function hostPython(python = "python3"): Promise<HostPython> {
  const code = [
    "import json, os, sys, sysconfig",
    // Debian's python3 is built with a shared libpython but its binary links it statically: only a
    // libpython this very process loaded counts.
    "linked = any('libpython' in l for l in open('/proc/self/maps'))",
    "so = sysconfig.get_config_var('INSTSONAME') if sysconfig.get_config_var('Py_ENABLE_SHARED') and linked else None",
    "print(json.dumps({'version': '%d.%d.%d' % sys.version_info[:3], 'executable': os.path.realpath(sys.executable),",
    "  'stdlib': sysconfig.get_path('stdlib'), 'libdir': sysconfig.get_config_var('LIBDIR'), 'soname': so}))",
  ].join("\n");
  const r = await run(python, ["-c", code]);
  if (r.exitCode !== 0) throw new BundleError("BUILD", `cannot run the host Python "${python}": ${String(r.stderr || r.message).trim()}`, { hint: "install Python 3 (with its shared library) or point to it" });
  const v = JSON.parse(String(r.stdout)) as HostPython & { soname: string | null };
  return { version: v.version, executable: v.executable, stdlib: v.stdlib, libdir: v.libdir, ...(v.soname ? { soname: v.soname } : {}) };
}

export async function hasPatchelf(): Promise<boolean> {
  return (await run("patchelf", ["--version"]).catch(() => ({ exitCode: 1 }))).exitCode === 0;
}

// Big or build-only parts of the standard library that a runtime for apps does not need.
// Distribution Pythons (Debian, Ubuntu) add `dist-packages` and a sitecustomize.py that links to
// /etc: neither belongs in a portable runtime.
const SKIP_TOP = new Set(["site-packages", "dist-packages", "sitecustomize.py", "test", "idlelib", "tkinter", "turtledemo", "ensurepip", "__pycache__"]);

/**
 * Distribution Pythons are patched to look for packages in dist-packages (Debian, Ubuntu), not in
 * lib/pythonX.Y/site-packages where python-build-standalone — what bundles ship — and the
 * installer put them; this makes a copy of such a Python look there too (a no-op elsewhere).
 */
const SITECUSTOMIZE = `# greenbundle demo runtime: also look in lib/pythonX.Y/site-packages, as python-build-standalone does.
import os, site, sys
_sp = os.path.join(sys.prefix, "lib", "python%d.%d" % sys.version_info[:2], "site-packages")
if _sp not in sys.path:
    site.addsitedir(_sp)
`;

function keepStdlib(stdlib: string, src: string): boolean {
  const rel = relative(stdlib, src);
  if (rel === "") return true;
  const parts = rel.split("/");
  if (SKIP_TOP.has(parts[0]!) || parts[0]!.startsWith("config-")) return false;
  return !parts.some((p) => p === "__pycache__" || ((p === "test" || p === "tests") && parts.length > 1));
}

export async function makeRuntime(opts: RuntimeOptions): Promise<MadeRuntime> {
  const host = await hostPython(opts.python);
  const [maj, min] = host.version.split(".");
  const short = `${maj}.${min}`;
  const mode = opts.relocate === "patchelf" || opts.relocate === "wrapper" ? opts.relocate : (await hasPatchelf()) ? "patchelf" : "wrapper";
  await mkdir(dirname(opts.out), { recursive: true });
  const stage = await mkdtemp(join(dirname(opts.out), ".runtime-"));
  try {
    const top = join(stage, "python");
    await mkdir(join(top, "bin"), { recursive: true });
    await mkdir(join(top, "lib"), { recursive: true });
    const real = join(top, "bin", mode === "patchelf" ? `python${short}` : `python${short}-real`);
    await copyFile(host.executable, real);
    await chmod(real, 0o755);
    if (host.soname) {
      await copyFile(join(host.libdir, host.soname), join(top, "lib", host.soname));
      await symlink(host.soname, join(top, "lib", `libpython${short}.so`));
    }
    // Links are followed: a distribution's stdlib has some (Debian: _sysconfigdata__linux_… →
    // _sysconfigdata__x86_64…), and fs.cp would rewrite them to absolute host paths, which no
    // portable runtime may hold (greenbundle's own unpacking refuses them).
    await cp(host.stdlib, join(top, "lib", `python${short}`), { recursive: true, dereference: true, filter: (src) => keepStdlib(host.stdlib, src) });
    await mkdir(join(top, "lib", `python${short}`, "site-packages"), { recursive: true });
    await writeFile(join(top, "lib", `python${short}`, "sitecustomize.py"), SITECUSTOMIZE);
    if (mode === "patchelf") {
      const r = await run("patchelf", ["--set-rpath", "$ORIGIN/../lib", real]);
      if (r.exitCode !== 0) throw new BundleError("BUILD", `patchelf failed on ${real}: ${String(r.stderr)}`);
      for (const n of ["python3", "python"]) await symlink(`python${short}`, join(top, "bin", n));
    } else {
      for (const n of [`python${short}`, "python3", "python"]) await writeFile(join(top, "bin", n), wrapper(basename(real)), { mode: 0o755 });
    }
    await packTarGz(stage, "python", opts.out);
    const { readFile } = await import("node:fs/promises");
    const data = await readFile(opts.out);
    return { path: opts.out, sha256: createHash("sha256").update(data).digest("hex"), size: data.length, version: host.version, mode };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

function wrapper(real: string): string {
  return [
    "#!/bin/sh",
    "# Relocatable launcher: load this runtime's libpython (../lib), never the build machine's.",
    'd=$(dirname -- "$(realpath -- "$0")")',
    `LD_LIBRARY_PATH="$d/../lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$d/${real}" "$@"`,
    "",
  ].join("\n");
}

/** All paths under `dir/top`, sorted, so the archive does not depend on directory order. */
async function listTree(dir: string, top: string): Promise<string[]> {
  const out: string[] = [top];
  const walk = async (rel: string) => {
    const ents = (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of ents) {
      const p = `${rel}/${e.name}`;
      out.push(p);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(top);
  return out;
}

/** A reproducible tar.gz of `cwd/top`: sorted entries, fixed mtime, no owners. */
export async function packTarGz(cwd: string, top: string, out: string): Promise<void> {
  const tar = await import("tar");
  const tmp = `${out}.tmp-${process.pid}`;
  await mkdir(dirname(out), { recursive: true });
  await tar.c({ file: tmp, cwd, gzip: { level: 6 }, portable: true, noDirRecurse: true, mtime: new Date(Date.UTC(2020, 0, 1)) }, await listTree(cwd, top));
  await rename(tmp, out);
}

/**
 * A stand-in for python-X.Y.Z-embed-amd64.zip with the real layout: python.exe, pythonw.exe,
 * pythonXY.dll, pythonXY.zip (the stdlib), the DLLs and .pyd files, and the stock pythonXY._pth.
 */
export async function makeEmbeddableStub(version: string, out: string): Promise<{ path: string; sha256: string; size: number }> {
  const yazl = await import("yazl");
  const [maj, min] = version.split(".");
  const xy = `${maj}${min}`;
  const stdlib = new yazl.ZipFile();
  stdlib.addBuffer(Buffer.from("# stand-in stdlib module\n"), "os.pyc", { mtime: new Date(1980, 0, 1), forceDosTimestamp: true });
  stdlib.end();
  const chunks: Buffer[] = [];
  for await (const c of stdlib.outputStream) chunks.push(c as Buffer);
  const pth = [`python${xy}.zip`, ".", "", "# Uncomment to run site.main() automatically", "#import site", ""].join("\r\n");
  const files: [string, Buffer][] = [
    ["LICENSE.txt", Buffer.from("PSF LICENSE AGREEMENT (stand-in)\n")],
    ["_socket.pyd", Buffer.from("MZ stand-in")],
    [`python${xy}._pth`, Buffer.from(pth)],
    [`python${xy}.dll`, Buffer.from("MZ stand-in")],
    [`python${xy}.zip`, Buffer.concat(chunks)],
    ["python.exe", Buffer.from("MZ stand-in")],
    ["python3.dll", Buffer.from("MZ stand-in")],
    ["pythonw.exe", Buffer.from("MZ stand-in")],
    ["vcruntime140.dll", Buffer.from("MZ stand-in")],
  ];
  const zip = new yazl.ZipFile();
  for (const [name, data] of files) zip.addBuffer(data, name, { mtime: new Date(1980, 0, 1), forceDosTimestamp: true });
  zip.end();
  const parts: Buffer[] = [];
  for await (const c of zip.outputStream) parts.push(c as Buffer);
  const data = Buffer.concat(parts);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, data);
  return { path: out, sha256: createHash("sha256").update(data).digest("hex"), size: data.length };
}
