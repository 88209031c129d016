// NVIDIA GPU detection with nvidia-smi and the recipe's VRAM rules.
// No GPU → the recipe's CPU arguments and a warning that it will be slow.

import { execFile } from "node:child_process";
import { join } from "node:path";

export interface Gpu {
  name: string;
  /** Total memory in MiB, as nvidia-smi reports it. */
  memoryMiB: number;
}

export interface GpuRules {
  cpu: string[];
  vram: { below_gb?: number; args: string[] }[];
}

/** Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(stdout: string): Gpu[] {
  const gpus: Gpu[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^(.*\S)\s*,\s*(\d+(?:\.\d+)?)\s*$/.exec(line.trim());
    if (m) gpus.push({ name: m[1]!, memoryMiB: Number(m[2]) });
  }
  return gpus;
}

export interface GpuChoice {
  args: string[];
  /** The GPU the rules were applied to (the one with the most memory), or null for CPU. */
  gpu: Gpu | null;
}

/** The first VRAM rule whose `below_gb` is above the largest GPU's memory (or has none) wins. */
export function chooseGpuArgs(gpus: Gpu[] | null, rules: GpuRules): GpuChoice {
  if (!gpus || gpus.length === 0) return { args: rules.cpu, gpu: null };
  const gpu = gpus.reduce((a, b) => (b.memoryMiB > a.memoryMiB ? b : a));
  const gb = gpu.memoryMiB / 1024;
  const rule = rules.vram.find((r) => r.below_gb === undefined || gb < r.below_gb);
  return { args: rule?.args ?? [], gpu };
}

function run(file: string, timeoutMs: number): Promise<string | null> {
  const args = ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"];
  return new Promise((resolve) => {
    try {
      execFile(file, args, { timeout: timeoutMs, windowsHide: true }, (err, stdout) => resolve(err ? null : stdout));
    } catch {
      resolve(null);
    }
  });
}

/** The NVIDIA GPUs of this machine, or null when nvidia-smi is absent or fails. */
export async function detectGpus(windows: boolean, env: Record<string, string | undefined>): Promise<Gpu[] | null> {
  // Tests and support: "NVIDIA GeForce GTX 1650, 4096;…" stands for nvidia-smi's answer, "" for none.
  if (env.GREENBUNDLE_FAKE_GPU !== undefined) return env.GREENBUNDLE_FAKE_GPU === "" ? null : parseNvidiaSmi(env.GREENBUNDLE_FAKE_GPU.replaceAll(";", "\n"));
  const candidates = ["nvidia-smi"];
  // Older Windows drivers put nvidia-smi here instead of System32.
  if (windows) candidates.push(join(env.ProgramFiles ?? env.PROGRAMFILES ?? "C:\\Program Files", "NVIDIA Corporation", "NVSMI", "nvidia-smi.exe"));
  for (const file of candidates) {
    const out = await run(file, 10_000);
    if (out !== null) {
      const gpus = parseNvidiaSmi(out);
      if (gpus.length > 0) return gpus;
    }
  }
  return null;
}
