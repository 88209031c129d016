// The doctor on a normal start: before the spawn, the GPU items decide between the GPU arguments
// (the recipe's VRAM rule for the chosen GPU) and the CPU ones, and say why when it is the CPU;
// after a failed start, every item that is not ok is printed, so the user sees what is wrong with
// the machine next to the app's own error.

import { existsSync } from "node:fs";
import { brokenJson, gatherFacts, systemProbes, type Probes } from "./doctor-probes.ts";
import { evaluate, selectedGpu, type DoctorItem } from "./doctor-rules.ts";
import { doctorLines, gpuVerdict } from "./doctor.ts";
import type { GpuInfo } from "./nvidia-smi.ts";
import { chooseGpuArgs } from "./gpu.ts";
import type { CheckResult } from "./manifest.ts";
import type { LoadedBundle } from "./config.ts";
import type { Resolved } from "./resolve.ts";

export interface GpuStart {
  mode: "gpu" | "cpu";
  /** The GPU the app runs on (null in CPU mode). */
  gpu: GpuInfo | null;
  /** Arguments for the app: the VRAM rule's, or the recipe's CPU ones. */
  args: string[];
  /** Why the CPU: the GPU items that failed, as lines (empty when there simply is no GPU). */
  why: string[];
  /** Whether any NVIDIA GPU answered at all. */
  anyGpu: boolean;
  /** Variables that pin the chosen GPU for CUDA (with --gpu N). */
  env: Record<string, string>;
}

export async function chooseStart(o: { windows: boolean; bundle: LoadedBundle; gpuIndex?: number | undefined; probes?: Probes }): Promise<GpuStart> {
  const probes = o.probes ?? systemProbes(o.windows, process.env);
  const rules = o.bundle.launcher.gpu;
  const side = { os: o.windows ? "windows" : "linux", gpuQuery: await probes.gpus(), gpuIndex: o.gpuIndex ?? 0, needs: o.bundle.json.gpu, vram: rules.vram, wsl: probes.wsl() } as const;
  const { items, mode } = gpuVerdict(side);
  const gpu = selectedGpu(side);
  const anyGpu = side.gpuQuery.kind === "gpus";
  if (mode === "cpu" || !gpu) {
    const failed = items.filter((i: DoctorItem) => i.status === "fail");
    return { mode: "cpu", gpu: null, args: rules.cpu, why: failed.length ? doctorLines(failed) : [], anyGpu, env: {} };
  }
  // nvidia-smi numbers GPUs in PCI bus order, CUDA fastest first: make CUDA count as nvidia-smi does.
  const env: Record<string, string> = o.gpuIndex !== undefined ? { CUDA_DEVICE_ORDER: "PCI_BUS_ID", CUDA_VISIBLE_DEVICES: String(gpu.index) } : {};
  return { mode: "gpu", gpu, args: chooseGpuArgs([gpu], rules).args, why: [], anyGpu, env };
}

/** After a failed start: every doctor item that is not ok, as lines (the manifest from the quick check). */
export async function failedStartFindings(o: {
  root: string;
  windows: boolean;
  bundle: LoadedBundle;
  resolved: Resolved;
  gpuIndex?: number | undefined;
  port: number;
  files: CheckResult | undefined;
  probes?: Probes;
}): Promise<string[]> {
  let longest = 0;
  let largest = 0;
  let damaged: string | undefined;
  try {
    for (const f of o.bundle.files()) {
      longest = Math.max(longest, f.path.length);
      largest = Math.max(largest, f.size);
    }
  } catch (e) {
    damaged = e instanceof Error ? e.message : String(e);
  }
  const facts = await gatherFacts(
    {
      root: o.root, windows: o.windows, env: process.env, bundle: o.bundle, resolved: o.resolved, gpuIndex: o.gpuIndex ?? 0, port: o.port, longest, largest,
      files: { missing: o.files?.missing ?? [], changed: o.files?.changed ?? [], badJson: brokenJson(o.root, o.files?.changed ?? []), python: existsSync(o.resolved.python), ...(damaged !== undefined ? { damaged } : {}) },
    },
    o.probes ?? systemProbes(o.windows, process.env),
  );
  // The app had the port: it is no finding of its own now.
  return doctorLines(evaluate(facts).filter((i) => i.id !== "port"), true);
}
