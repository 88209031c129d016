// What a CUDA build of torch needs of the machine it runs on, as data: the oldest NVIDIA driver for
// its CUDA version, and the GPU architectures its wheels carry kernels for. The builder records the
// facts for the bundle's torch pin in bundle.json (`gpu`), where the launcher's doctor checks the
// machine against them; the recipe's launcher.gpu.requires overrides any of them (a torch build
// this table does not know, or a custom one).

import type { GpuFacts } from "../contract/bundle-json.ts";
import { PLATFORM_FACTS, type Platform } from "../core/platform.ts";

/**
 * Oldest driver per CUDA major version under CUDA's minor-version compatibility, which is what
 * applies to torch wheels: they carry their own CUDA runtime and libraries, so any driver of the
 * same major runs them. NVIDIA CUDA Toolkit release notes, "CUDA Toolkit Major Component Versions",
 * table "minimum required driver version for CUDA minor version compatibility" (11.x ≥ 450.80.02 /
 * 452.39; 12.x ≥ 525.60.13 / 528.33; 13.x ≥ 580 on Linux). The newer "toolkit driver" of each
 * minor release (e.g. 530.30.02 for 12.1) is only needed to build with that toolkit.
 */
export const CUDA_MIN_DRIVER: Record<string, { linux?: string; win?: string }> = {
  "11": { linux: "450.80.02", win: "452.39" },
  "12": { linux: "525.60.13", win: "528.33" },
  "13": { linux: "580.65.06" },
};

const sm = (...ccs: number[]) => ccs.map((c) => `sm_${c}`);

/** The architectures of the official torch CUDA wheels, per torch minor version and CUDA label. */
interface ArchRow {
  torch: string[];
  cuda: string;
  /** torch.cuda.get_arch_list() of the Linux and Windows wheels. */
  linux: string[];
  win: string[];
}

// From pytorch/builder's TORCH_CUDA_ARCH_LIST per release branch: manywheel/build_cuda.sh (Linux)
// and windows/cuda1xx.bat (Windows) at release/2.1 … release/2.5; 2.7's lists as its wheels
// report them. Windows builds keep sm_61 (GTX 10xx) that Linux builds cover through sm_60.
const CU12_LINUX = sm(50, 60, 70, 75, 80, 86, 90);
const CU12_WIN = sm(50, 60, 61, 70, 75, 80, 86, 90);
export const TORCH_ARCHS: ArchRow[] = [
  { torch: ["2.1", "2.2", "2.3"], cuda: "cu118", linux: sm(37, 50, 60, 70, 75, 80, 86, 90), win: [...sm(37, 50, 60, 61, 70, 75, 80, 86, 90), "compute_37"] },
  { torch: ["2.1", "2.2", "2.3"], cuda: "cu121", linux: CU12_LINUX, win: CU12_WIN },
  { torch: ["2.4"], cuda: "cu124", linux: CU12_LINUX, win: CU12_WIN },
  { torch: ["2.5"], cuda: "cu124", linux: [...CU12_LINUX, "compute_90"], win: CU12_WIN },
  { torch: ["2.7"], cuda: "cu126", linux: CU12_LINUX, win: CU12_WIN },
  { torch: ["2.7"], cuda: "cu128", linux: [...sm(75, 80, 86, 90, 100, 120), "compute_120"], win: sm(50, 60, 61, 70, 75, 80, 86, 90, 100, 120) },
];

export interface GpuRequiresInput {
  cuda?: string | undefined;
  min_driver?: { win?: string | undefined; linux?: string | undefined } | undefined;
  archs?: string[] | undefined;
}

/** The CUDA version in a torch local version label: "2.1.2+cu121" → "12.1", "+cu118" → "11.8"; undefined for CPU builds. */
export function cudaOfTorch(version: string): string | undefined {
  const m = /\+cu(\d+)(\d)$/.exec(version);
  return m ? `${Number(m[1])}.${m[2]}` : undefined;
}

export interface GpuFactsResult {
  facts: GpuFacts | undefined;
  /** Why a fact is missing (said as a build warning). */
  notes: string[];
}

/**
 * The facts for the torch pin `torch` (a version such as "2.1.2+cu121", or undefined when the
 * bundle has no torch) on `platform`. No facts without CUDA: a CPU build needs nothing of the GPU.
 */
export function gpuFactsFor(torch: string | undefined, platform: Platform, requires?: GpuRequiresInput): GpuFactsResult {
  const cuda = requires?.cuda ?? (torch ? cudaOfTorch(torch) : undefined);
  if (!cuda) return { facts: undefined, notes: [] };
  const notes: string[] = [];
  const table = CUDA_MIN_DRIVER[cuda.split(".")[0]!] ?? {};
  const min_driver = { ...table, ...definedOnly(requires?.min_driver ?? {}) };
  if (!min_driver.linux && !min_driver.win) notes.push(`no minimum NVIDIA driver is known for CUDA ${cuda}: set launcher.gpu.requires.min_driver`);
  let archs = requires?.archs;
  if (!archs) {
    const row = torch ? archRow(torch) : undefined;
    archs = row ? (PLATFORM_FACTS[platform].os === "windows" ? row.win : row.linux) : [];
    if (!row) notes.push(`greenbundle does not know which GPU architectures torch ${torch ?? "(not pinned)"} has kernels for: set launcher.gpu.requires.archs (torch.cuda.get_arch_list() of that build)`);
  }
  const facts: GpuFacts = { cuda, min_driver, archs: [...archs], ...(torch ? { torch } : {}) };
  return { facts, notes };
}

function archRow(torch: string): ArchRow | undefined {
  const m = /^(\d+\.\d+)(?:\.[^+]*)?\+(cu\d+)$/.exec(torch);
  if (!m) return undefined;
  return TORCH_ARCHS.find((r) => r.cuda === m[2] && r.torch.includes(m[1]!));
}

function definedOnly(o: { win?: string | undefined; linux?: string | undefined }): { win?: string; linux?: string } {
  const out: { win?: string; linux?: string } = {};
  if (o.win !== undefined) out.win = o.win;
  if (o.linux !== undefined) out.linux = o.linux;
  return out;
}

/** The facts for a plan: its torch wheel's version (if any) and the recipe's launcher.gpu.requires. */
export function gpuFactsOfPlan(artifacts: readonly { kind: string; name: string; version?: string }[], platform: Platform, requires?: GpuRequiresInput): GpuFactsResult {
  const torch = artifacts.find((a) => (a.kind === "wheel" || a.kind === "sdist") && a.name === "torch");
  return gpuFactsFor(torch?.version, platform, requires);
}
