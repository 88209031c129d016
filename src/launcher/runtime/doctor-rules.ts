// The launcher's doctor, as rules: each item id has one pure function from the facts gathered about
// this machine and bundle (doctor-probes.ts gathers them) to a status and a message key with its
// parameters (doctor-text.ts says them in 中文 and English). `launcher --check` shows every item;
// a normal start takes the GPU items' verdict to choose between the GPU and the CPU arguments.

import type { GpuFacts } from "../../contract/bundle-json.ts";
import type { GpuInfo, GpuQuery } from "./nvidia-smi.ts";
import type { DoctorKey } from "./doctor-text.ts";

export type Status = "ok" | "warn" | "fail";
export const ITEM_IDS = ["driver", "gpu-arch", "vram", "files", "path", "vc-runtime", "libs", "git", "proxy", "port", "disk"] as const;
export type ItemId = (typeof ITEM_IDS)[number];

/** One thing a rule found; an item with several findings shows them all and takes the worst status. */
export interface Finding {
  status: Status;
  key: DoctorKey;
  params?: Record<string, string | number>;
}

export interface DoctorFacts {
  os: "windows" | "linux";
  gpuQuery: GpuQuery;
  /** --gpu N (default: the first GPU). */
  gpuIndex: number;
  /** bundle.json's gpu facts, when the bundle has a CUDA torch. */
  needs?: GpuFacts | undefined;
  /** The recipe's VRAM rules. */
  vram: { below_gb?: number; args: string[] }[];
  /** Linux under WSL: nvidia-smi reports the Windows driver's number. */
  wsl: boolean;
  /** `badJson`: changed .json files that no longer parse (A1111 stops at start on a broken config.json). */
  files: { missing: string[]; changed: string[]; damaged?: string; python: boolean; badJson?: string[] };
  path: {
    root: string;
    longest: number;
    longPaths?: boolean | undefined;
    /** File system type of the bundle's volume ("NTFS", "exfat", "vfat", "nfs", ...), if known. */
    fsType?: string | undefined;
    network: boolean;
    /** Size of the largest file in the manifest (FAT32 holds files up to 4 GiB - 1). */
    largest: number;
    oneDrive?: string | undefined;
    programFiles?: string | undefined;
    writable: boolean;
  };
  /** Windows: DLLs the bundle's packages need, and where each was found (null: nowhere). */
  dlls: { file: string; packages: string[]; at: "bundle" | "system" | null }[];
  /** Linux: shared libraries the bundle's packages need, and whether the host has them. */
  libs: { soname: string; packages: string[]; found: boolean; install?: string }[];
  git: { bundled: boolean; found: string | null; refreshQuiet: boolean };
  /** Proxies from the environment (and, on Windows, the Internet Settings), and the loopback exclusion. */
  proxy: { proxies: string[]; noProxy: string };
  port: { wanted: number; free: number | null };
  disk: { freeBytes: number | null };
}

/** What the GPU items read: all a normal start gathers before it spawns the app. */
export type GpuSide = Pick<DoctorFacts, "os" | "gpuQuery" | "gpuIndex" | "needs" | "vram" | "wsl">;

export interface DoctorItem {
  id: ItemId;
  status: Status;
  findings: Finding[];
}

const GiB = 1024 ** 3;

/** Dotted version numbers compared part by part ("535.104.05" > "528.33"). */
export function compareVersions(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Whether a GPU of compute capability `cc` ("8.9") runs code built for `archs`: machine code for
 * sm_XY runs on X.Z with Z ≥ Y (same major only), PTX compute_XY is compiled for any GPU ≥ X.Y
 * (CUDA C++ Programming Guide, "Binary Compatibility" and "PTX Compatibility").
 */
export function archSupported(cc: string, archs: readonly string[]): boolean {
  const [maj, min] = cc.split(".").map(Number) as [number, number];
  return archs.some((a) => {
    const m = /^(sm|compute)_(\d+)$/.exec(a);
    if (!m) return false;
    const n = Number(m[2]);
    const [am, an] = [Math.floor(n / 10), n % 10];
    return m[1] === "sm" ? am === maj && an <= min : am * 10 + an <= maj * 10 + min;
  });
}

/** The GPU the doctor judges: `--gpu N`, else the first. */
export function selectedGpu(f: Pick<DoctorFacts, "gpuQuery" | "gpuIndex">): GpuInfo | undefined {
  return f.gpuQuery.kind === "gpus" ? f.gpuQuery.gpus[f.gpuIndex] : undefined;
}

const one = (status: Status, key: DoctorKey, params?: Record<string, string | number>): Finding[] => [{ status, key, ...(params ? { params } : {}) }];

function driver(f: GpuSide): Finding[] {
  const q = f.gpuQuery;
  if (q.kind === "absent") return one("warn", "noNvidiaSmi");
  if (q.kind === "failed") return one("warn", "smiFailed", { detail: q.detail });
  const gpu = selectedGpu(f);
  if (!gpu) return one("fail", "noSuchGpu", { index: f.gpuIndex, count: q.gpus.length, last: q.gpus.length - 1 });
  const os = f.os === "windows" || f.wsl ? "win" : "linux";
  const min = f.needs?.min_driver[os];
  if (!f.needs || !min) return one("ok", "driverNoNeeds", { driver: gpu.driver ?? "?" });
  if (!gpu.driver) return one("warn", "driverUnknown", { min });
  if (compareVersions(gpu.driver, min) < 0) return one("fail", "driverOld", { driver: gpu.driver, min, cuda: f.needs.cuda });
  return one("ok", "driverOk", { driver: gpu.driver, min, cuda: f.needs.cuda });
}

function gpuArch(f: GpuSide): Finding[] {
  const gpu = selectedGpu(f);
  if (!gpu) return one("ok", "archNoGpu");
  if (!f.needs || f.needs.archs.length === 0) return one("ok", "archNoNeeds", { name: gpu.name });
  if (!gpu.computeCap) return one("warn", "archUnknown", { name: gpu.name });
  const list = f.needs.archs.join(" ");
  if (archSupported(gpu.computeCap, f.needs.archs)) return one("ok", "archOk", { name: gpu.name, cc: gpu.computeCap });
  const newest = Math.max(...f.needs.archs.map((a) => Number(/\d+$/.exec(a)![0])));
  const [maj, min] = gpu.computeCap.split(".").map(Number) as [number, number];
  return one("fail", maj * 10 + min > newest ? "archTooNew" : "archTooOld", { name: gpu.name, cc: gpu.computeCap, archs: list, torch: f.needs.torch ?? `CUDA ${f.needs.cuda}` });
}

function vram(f: GpuSide): Finding[] {
  const gpu = selectedGpu(f);
  if (!gpu) return one("ok", "vramNoGpu");
  const gb = gpu.memoryMiB / 1024;
  const limits = f.vram.map((r) => r.below_gb).filter((n): n is number => n !== undefined);
  const smallest = limits.length ? Math.min(...limits) : undefined;
  const rule = f.vram.find((r) => r.below_gb === undefined || gb < r.below_gb);
  const args = rule?.args.join(" ") || "-";
  if (smallest !== undefined && gb < smallest) return one("warn", "vramLow", { gb: gb.toFixed(1), below: smallest, args });
  return one("ok", "vramOk", { gb: gb.toFixed(1), args });
}

function files(f: DoctorFacts): Finding[] {
  const out: Finding[] = [];
  if (f.files.damaged) out.push(...one("fail", "filesDamaged", { error: f.files.damaged }));
  if (!f.files.python) out.push(...one("fail", "filesNoPython"));
  if (f.files.missing.length) out.push(...one("fail", "filesMissing", { count: f.files.missing.length, first: f.files.missing.slice(0, 3).join(", ") }));
  if (f.files.badJson?.length) out.push(...one("fail", "filesBadJson", { files: f.files.badJson.join(", ") }));
  if (f.files.changed.length) out.push(...one("warn", "filesChanged", { count: f.files.changed.length, first: f.files.changed.slice(0, 3).join(", ") }));
  return out.length ? out : one("ok", "filesOk");
}

/** Windows' classic MAX_PATH (260, with the drive and the terminating NUL). */
const MAX_PATH = 260;
const FAT32_MAX = 2 ** 32 - 1;

function path(f: DoctorFacts): Finding[] {
  const p = f.path;
  const out: Finding[] = [];
  if (!p.writable) out.push(...one("fail", "pathReadOnly", { path: p.root }));
  if (p.programFiles) out.push(...one("warn", "pathProgramFiles", { path: p.programFiles }));
  if (p.oneDrive) out.push(...one("warn", "pathOneDrive", { path: p.oneDrive }));
  const len = p.root.length + 1 + p.longest;
  if (f.os === "windows" && len + 1 > MAX_PATH && p.longPaths !== true) out.push(...one("warn", "pathTooLong", { len }));
  const fs = (p.fsType ?? "").toLowerCase();
  if (/^(fat32|fat|vfat|msdos)$/.test(fs)) out.push(...one(p.largest > FAT32_MAX ? "fail" : "warn", p.largest > FAT32_MAX ? "pathFat32Big" : "pathFat", { fs: p.fsType! }));
  else if (fs === "exfat") out.push(...one("warn", "pathExfat"));
  if (p.network) out.push(...one("warn", "pathNetwork", { fs: p.fsType ?? "?" }));
  if (/[^\x20-\x7e]/.test(p.root)) out.push(...one("warn", "pathNonAscii", { path: p.root }));
  if (p.root.includes(" ")) out.push(...one("warn", "pathSpaces", { path: p.root }));
  return out.length ? out : one("ok", "pathOk", { path: p.root });
}

function vcRuntime(f: DoctorFacts): Finding[] {
  if (f.dlls.length === 0) return one("ok", "vcNotNeeded");
  const missing = f.dlls.filter((d) => d.at === null);
  if (missing.length) return one("fail", "vcMissing", { files: missing.map((d) => d.file).join(", "), packages: [...new Set(missing.flatMap((d) => d.packages))].join(", ") });
  const system = f.dlls.filter((d) => d.at === "system");
  return system.length ? one("ok", "vcSystem", { files: system.map((d) => d.file).join(", ") }) : one("ok", "vcBundled");
}

function libs(f: DoctorFacts): Finding[] {
  if (f.libs.length === 0) return one("ok", "libsNotNeeded");
  const missing = f.libs.filter((l) => !l.found);
  if (!missing.length) return one("ok", "libsOk", { libs: f.libs.map((l) => l.soname).join(", ") });
  const install = [...new Set(missing.map((l) => l.install).filter(Boolean))].join("; ");
  return one("fail", "libsMissing", { libs: missing.map((l) => l.soname).join(", "), packages: [...new Set(missing.flatMap((l) => l.packages))].join(", "), install: install || "-" });
}

function git(f: DoctorFacts): Finding[] {
  const g = f.git;
  if (g.found) return one("ok", "gitOk", { git: g.found });
  if (g.bundled) return one("fail", "gitBundledMissing");
  return one(g.refreshQuiet ? "warn" : "fail", "gitMissing");
}

function proxy(f: DoctorFacts): Finding[] {
  if (f.proxy.proxies.length === 0) return one("ok", "proxyNone");
  const entries = f.proxy.noProxy.split(",").map((s) => s.trim().toLowerCase());
  const loopbackExcluded = entries.includes("*") || (entries.includes("127.0.0.1") && entries.includes("localhost"));
  const list = f.proxy.proxies.join(", ");
  return loopbackExcluded ? one("ok", "proxyLoopbackExcluded", { proxies: list }) : one("warn", "proxySet", { proxies: list });
}

function port(f: DoctorFacts): Finding[] {
  const p = f.port;
  if (p.free === null) return one("fail", "portNone", { from: p.wanted, to: Math.min(p.wanted + 99, 65535) });
  if (p.free !== p.wanted) return one("warn", "portShifted", { from: p.wanted, to: p.free });
  return one("ok", "portOk", { port: p.wanted });
}

function disk(f: DoctorFacts): Finding[] {
  const free = f.disk.freeBytes;
  if (free === null) return one("ok", "diskUnknown");
  const gb = (free / GiB).toFixed(1);
  if (free < 0.5 * GiB) return one("fail", "diskFull", { gb });
  if (free < 5 * GiB) return one("warn", "diskLow", { gb });
  return one("ok", "diskOk", { gb });
}

/** The rules, by item id, and the OS each applies to (absent: every OS). */
export const RULES: { id: ItemId; os?: "windows" | "linux"; rule: (f: DoctorFacts) => Finding[] }[] = [
  { id: "driver", rule: driver },
  { id: "gpu-arch", rule: gpuArch },
  { id: "vram", rule: vram },
  { id: "files", rule: files },
  { id: "path", rule: path },
  { id: "vc-runtime", os: "windows", rule: vcRuntime },
  { id: "libs", os: "linux", rule: libs },
  { id: "git", rule: git },
  { id: "proxy", rule: proxy },
  { id: "port", rule: port },
  { id: "disk", rule: disk },
];

const RANK: Record<Status, number> = { ok: 0, warn: 1, fail: 2 };

export function worst(findings: readonly Finding[]): Status {
  return findings.reduce<Status>((w, x) => (RANK[x.status] > RANK[w] ? x.status : w), "ok");
}

const item = (id: ItemId, findings: Finding[]): DoctorItem => ({ id, status: worst(findings), findings });

/** Every item that applies to this OS, in the table's order. */
export function evaluate(f: DoctorFacts): DoctorItem[] {
  return RULES.filter((r) => !r.os || r.os === f.os).map((r) => item(r.id, r.rule(f)));
}

/** The GPU items alone: what a normal start decides the GPU or CPU arguments by, before the spawn. */
export function evaluateGpu(f: GpuSide): DoctorItem[] {
  return [item("driver", driver(f)), item("gpu-arch", gpuArch(f)), item("vram", vram(f))];
}

/** GPU mode unless there is no usable GPU, or the driver or the architecture rules it out. */
export function modeOf(f: Pick<DoctorFacts, "gpuQuery" | "gpuIndex">, items: readonly DoctorItem[]): "gpu" | "cpu" {
  if (!selectedGpu(f)) return "cpu";
  return items.some((i) => (i.id === "driver" || i.id === "gpu-arch") && i.status === "fail") ? "cpu" : "gpu";
}
