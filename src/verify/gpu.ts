// GPU facts: when the bundle ships torch, its own Python says which torch it is,
// whether CUDA works and on which device. Run isolated like the app (no user site, no bytecode
// written into the bundle), with a time limit: importing torch can take a while on a cold disk.

import { spawn } from "node:child_process";
import { join } from "node:path";
import type { BundleJson } from "../contract/bundle-json.ts";
import { isolatedCommand, type Isolation } from "./isolation.ts";

export interface TorchFacts {
  version?: string;
  cuda?: boolean;
  cudaVersion?: string | null;
  device?: string | null;
  memoryGiB?: number | null;
  error?: string;
}

const PROBE = [
  "import json",
  "try:",
  "    import torch",
  "    d = {'version': torch.__version__, 'cuda': torch.cuda.is_available(), 'cudaVersion': torch.version.cuda, 'device': None, 'memoryGiB': None}",
  "    if d['cuda']:",
  "        p = torch.cuda.get_device_properties(0)",
  "        d['device'] = p.name",
  "        d['memoryGiB'] = round(p.total_memory / 1024**3, 2)",
  "except Exception as e:",
  "    d = {'error': type(e).__name__ + ': ' + str(e)}",
  "print('GB-TORCH ' + json.dumps(d))",
].join("\n");

/** Whether the manifest has torch in a site-packages folder. */
export function hasTorch(bj: BundleJson): boolean {
  return bj.files.some((f) => /(^|\/)site-packages\/torch\/__init__\.py$/.test(f.path));
}

/** The environment the launcher would give Python, minus the app's own settings. */
export function pythonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, PYTHONNOUSERSITE: "1", PYTHONDONTWRITEBYTECODE: "1" };
  delete out.PYTHONHOME;
  delete out.PYTHONPATH;
  return out;
}

export async function probeTorch(root: string, bj: BundleJson, iso: Isolation, env: NodeJS.ProcessEnv, timeoutMs = 180_000, signal?: AbortSignal): Promise<TorchFacts> {
  const python = join(root, ...bj.launcher.python.split("/"));
  const cmd = isolatedCommand(iso, [python, "-B", "-c", PROBE]);
  const { out, error } = await new Promise<{ out: string; error?: string }>((resolve) => {
    let out = "";
    const p = spawn(cmd.file, cmd.args, { cwd: root, env: pythonEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    const onAbort = () => p.kill("SIGKILL");
    signal?.addEventListener("abort", onAbort, { once: true });
    p.once("exit", () => signal?.removeEventListener("abort", onAbort));
    p.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    p.once("error", (e) => (clearTimeout(timer), resolve({ out, error: e.message })));
    p.once("exit", (code, sig) => (clearTimeout(timer), resolve({ out, ...(code === 0 ? {} : { error: sig ? `killed by ${sig}` : `exit code ${code}` }) })));
  });
  signal?.throwIfAborted();
  const line = out.split("\n").find((l) => l.startsWith("GB-TORCH "));
  if (line) return JSON.parse(line.slice(9)) as TorchFacts;
  return { error: `${error ?? "no answer"}: ${out.trim().split("\n").slice(-3).join(" | ")}` };
}
