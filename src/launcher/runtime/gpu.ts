// The recipe's VRAM rules applied to a GPU (nvidia-smi.ts asks the machine; the doctor's GPU items
// decide whether the GPU is used at all). No GPU → the recipe's CPU arguments.

import { parseGpuQuery } from "./nvidia-smi.ts";

export interface Gpu {
  name: string;
  /** Total memory in MiB, as nvidia-smi reports it. */
  memoryMiB: number;
}

export interface GpuRules {
  cpu: string[];
  vram: { below_gb?: number; args: string[] }[];
}

/** Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits` (the two-field form). */
export function parseNvidiaSmi(stdout: string): Gpu[] {
  return parseGpuQuery(stdout, ["name", "memory.total"]).map(({ name, memoryMiB }) => ({ name, memoryMiB }));
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
