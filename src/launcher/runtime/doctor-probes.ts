// The doctor's look at this machine: every question it asks the system is one probe here, and the
// probes are an object that tests replace (a stand-in library list, a file system type). What the
// answers mean is decided in doctor-rules.ts.

import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { rm, statfs, writeFile } from "node:fs/promises";
import { dirname, join, parse } from "node:path";
import { needsOf } from "./native-needs.ts";
import { queryGpus, type GpuQuery } from "./nvidia-smi.ts";
import { findFreePort } from "./port.ts";
import type { DoctorFacts } from "./doctor-rules.ts";
import type { LoadedBundle } from "./config.ts";
import type { Resolved } from "./resolve.ts";

export interface Probes {
  gpus(): Promise<GpuQuery>;
  /** Whether the host's dynamic linker finds a shared library (Linux). */
  libraryFound(soname: string): Promise<boolean>;
  exists(path: string): boolean;
  freeBytes(dir: string): Promise<number | null>;
  /** The file system type of the volume holding `dir`, and whether it is a network one. */
  volume(dir: string): Promise<{ fsType?: string; network: boolean }>;
  /** Windows: LongPathsEnabled in HKLM\SYSTEM\CurrentControlSet\Control\FileSystem. */
  longPaths(): Promise<boolean | undefined>;
  /** Windows: the proxy of the Internet Settings ("system proxy"), when it is on. */
  systemProxy(): Promise<string | undefined>;
  writable(dir: string): Promise<boolean>;
  freePort(from: number): Promise<number | null>;
  wsl(): boolean;
}

function run(file: string, args: string[], timeoutMs = 5000): Promise<string | null> {
  return new Promise((resolve) => {
    try {
      execFile(file, args, { timeout: timeoutMs, windowsHide: true, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => resolve(err ? null : String(stdout)));
    } catch {
      resolve(null);
    }
  });
}

/** Folders the dynamic linker searches by default on the common distributions (x86_64 and arm64). */
const LIB_DIRS = ["/lib", "/usr/lib", "/lib64", "/usr/lib64", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"];

/** Linux file systems that live on another machine. */
const NETWORK_FS = /^(nfs4?|cifs|smb3?|smbfs|9p|fuse\.sshfs|sshfs|davfs|fuse\.rclone|afs|ceph|glusterfs|lustre)$/i;

/** The mount holding `dir`: the longest mount point that is a prefix of it (/proc/self/mounts). */
export function mountOf(mounts: string, dir: string): { fsType: string; network: boolean } | undefined {
  let best: { point: string; fsType: string } | undefined;
  for (const line of mounts.split("\n")) {
    const [, point, fsType] = line.split(" ");
    if (!point || !fsType) continue;
    const p = point.replace(/\\040/g, " ");
    const inside = p === "/" || dir === p || dir.startsWith(`${p}/`);
    if (inside && (!best || p.length > best.point.length)) best = { point: p, fsType };
  }
  return best ? { fsType: best.fsType, network: NETWORK_FS.test(best.fsType) } : undefined;
}

export function systemProbes(windows: boolean, env: Record<string, string | undefined>): Probes {
  let ldcache: Promise<string | null> | undefined;
  return {
    gpus: () => queryGpus(windows, env),
    async libraryFound(soname) {
      // `ldconfig -p` lists the linker's cache; it is in /sbin, often not on a user's PATH.
      ldcache ??= (async () => (await run("ldconfig", ["-p"])) ?? (await run("/sbin/ldconfig", ["-p"])) ?? (await run("/usr/sbin/ldconfig", ["-p"])))();
      const cache = await ldcache;
      if (cache !== null) return cache.split("\n").some((l) => l.trim().startsWith(`${soname} `));
      const extra = (env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean);
      return [...extra, ...LIB_DIRS].some((d) => existsSync(join(d, soname)));
    },
    exists: (p) => existsSync(p),
    async freeBytes(dir) {
      try {
        const s = await statfs(dir);
        return s.bavail * s.bsize;
      } catch {
        return null;
      }
    },
    async volume(dir) {
      if (!windows) {
        try {
          return mountOf(readFileSync("/proc/self/mounts", "utf8"), dir) ?? { network: false };
        } catch {
          return { network: false };
        }
      }
      if (dir.startsWith("\\\\")) return { network: true };
      const drive = parse(dir).root.replace(/\\$/, "");
      const [info, type] = await Promise.all([run("fsutil", ["fsinfo", "volumeinfo", `${drive}\\`]), run("fsutil", ["fsinfo", "drivetype", drive])]);
      const fsType = /File System Name\s*:\s*(\S+)/i.exec(info ?? "")?.[1];
      return { ...(fsType ? { fsType } : {}), network: /remote|network/i.test(type ?? "") };
    },
    async longPaths() {
      const out = await run("reg", ["query", "HKLM\\SYSTEM\\CurrentControlSet\\Control\\FileSystem", "/v", "LongPathsEnabled"]);
      const m = /LongPathsEnabled\s+REG_DWORD\s+0x([0-9a-f]+)/i.exec(out ?? "");
      return m ? Number.parseInt(m[1]!, 16) === 1 : undefined;
    },
    async systemProxy() {
      const out = await run("reg", ["query", "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"]);
      if (!out || !/ProxyEnable\s+REG_DWORD\s+0x0*1\b/i.test(out)) return undefined;
      return /ProxyServer\s+REG_SZ\s+(\S+)/i.exec(out)?.[1];
    },
    async writable(dir) {
      const probe = join(dir, `.greenbundle-write-test-${process.pid}`);
      try {
        await writeFile(probe, "");
        await rm(probe, { force: true });
        return true;
      } catch {
        return false;
      }
    },
    freePort: (from) => findFreePort(from),
    wsl: () => !windows && existsSync("/usr/lib/wsl/lib"),
  };
}

/** Changed .json files of the manifest that no longer parse as JSON. */
export function brokenJson(root: string, changed: readonly string[]): string[] {
  return changed.filter((rel) => {
    if (!rel.endsWith(".json")) return false;
    try {
      JSON.parse(readFileSync(join(root, ...rel.split("/")), "utf8"));
      return false;
    } catch {
      return true;
    }
  });
}

/** Credentials never leave the machine in a report: http://user:pass@host → http://***@host. */
export function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, "$1***@");
}

/** Environment lookup that ignores case on Windows (where "Path" and "PATH" are one variable). */
function getter(env: Record<string, string | undefined>, windows: boolean): (name: string) => string | undefined {
  return (name) => (windows ? Object.entries(env).find(([k]) => k.toUpperCase() === name.toUpperCase())?.[1] : env[name]);
}

function under(root: string, dir: string | undefined, windows: boolean): boolean {
  if (!dir) return false;
  const norm = (s: string) => (windows ? s.toLowerCase().replace(/[\\/]+$/, "") : s.replace(/\/+$/, ""));
  const [r, d] = [norm(root), norm(dir)];
  return r === d || r.startsWith(d + (windows ? "\\" : "/"));
}

export interface GatherInput {
  root: string;
  windows: boolean;
  env: Record<string, string | undefined>;
  bundle: LoadedBundle;
  resolved: Resolved;
  gpuIndex: number;
  port: number;
  files: DoctorFacts["files"];
  /** From the manifest: the longest relative path and the largest file. */
  longest: number;
  largest: number;
}

/** Every fact the rules need, the probes run at the same time. */
export async function gatherFacts(i: GatherInput, p: Probes): Promise<DoctorFacts> {
  const os = i.windows ? "windows" : "linux";
  const get = getter(i.env, i.windows);
  const l = i.bundle.launcher;
  const packages = i.bundle.json.components.filter((c) => c.kind === "wheel").map((c) => c.name);
  // Each need names only the packages this bundle has.
  const needs = needsOf(packages, os).map((n) => ({ ...n, packages: n.packages.filter((x) => packages.includes(x)) }));
  const pyDir = dirname(i.resolved.python);
  const system32 = join(get("SystemRoot") ?? "C:\\Windows", "System32");
  const [gpuQuery, freeBytes, volume, longPaths, systemProxy, writable, free, libs] = await Promise.all([
    p.gpus(),
    p.freeBytes(i.root),
    p.volume(i.root),
    i.windows ? p.longPaths() : Promise.resolve(undefined),
    i.windows ? p.systemProxy() : Promise.resolve(undefined),
    p.writable(i.root),
    p.freePort(i.port),
    Promise.all(needs.flatMap((n) => n.files.map(async (soname) => ({ soname, packages: n.packages, found: os === "linux" ? await p.libraryFound(soname) : true, ...(n.install ? { install: `${n.install.debian} / ${n.install.fedora}` } : {}) })))),
  ]);
  const dlls = os === "windows" ? needs.flatMap((n) => n.files.map((file) => ({ file, packages: n.packages, at: p.exists(join(pyDir, file)) ? ("bundle" as const) : p.exists(join(system32, file)) ? ("system" as const) : null }))) : [];
  const proxies = ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"].flatMap((k) => [get(k), i.windows ? undefined : get(k.toLowerCase())]).filter((v): v is string => Boolean(v));
  if (systemProxy) proxies.push(`${systemProxy} (Windows system proxy)`);
  const recipeNoProxy = l.env.NO_PROXY ?? l.env.no_proxy;
  const oneDrive = ["OneDrive", "OneDriveConsumer", "OneDriveCommercial"].map(get).find((d) => under(i.root, d, i.windows));
  const programFiles = i.windows ? ["ProgramFiles", "ProgramFiles(x86)", "ProgramW6432"].map(get).find((d) => under(i.root, d, true)) : undefined;
  const gitFound = l.git ? (p.exists(i.resolved.git) ? i.resolved.git : null) : i.resolved.git !== "git" ? i.resolved.git : null;
  return {
    os,
    gpuQuery,
    gpuIndex: i.gpuIndex,
    needs: i.bundle.json.gpu,
    vram: l.gpu.vram,
    wsl: p.wsl(),
    files: i.files,
    path: { root: i.root, longest: i.longest, largest: i.largest, longPaths, ...volume, oneDrive, programFiles, writable },
    dlls,
    libs: os === "linux" ? libs : [],
    git: { bundled: l.git !== null, found: gitFound, refreshQuiet: /^(quiet|q|silence|s|silent|none|n|0)$/i.test(l.env.GIT_PYTHON_REFRESH ?? get("GIT_PYTHON_REFRESH") ?? "") },
    proxy: { proxies: [...new Set(proxies.map(redact))], noProxy: recipeNoProxy ?? get("NO_PROXY") ?? (i.windows ? "" : (get("no_proxy") ?? "")) },
    port: { wanted: i.port, free },
    disk: { freeBytes },
  };
}
