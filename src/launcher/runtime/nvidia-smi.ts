// Asking nvidia-smi about the machine's NVIDIA GPUs:
//   nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader,nounits
// prints one line per GPU in nvidia-smi's index order, fields joined by ", " ("NVIDIA GeForce RTX
// 4090, 535.104.05, 24564, 8.9"). Drivers older than the compute_cap field (R470 and before)
// refuse the whole query with `Field "compute_cap" is not a valid field to query.` and exit 2:
// the query is then asked again without it. Without a driver nvidia-smi is missing, or says
// "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver" (exit 9), or
// "No devices were found" (exit 6).

import { execFile } from "node:child_process";
import { join } from "node:path";

export interface GpuInfo {
  /** nvidia-smi's index (PCI bus order). */
  index: number;
  name: string;
  /** Driver version as nvidia-smi prints it ("537.58", "535.104.05"); undefined when not reported. */
  driver?: string;
  /** Total memory in MiB. */
  memoryMiB: number;
  /** "8.9"; undefined when the driver cannot report it. */
  computeCap?: string;
}

export type GpuQuery =
  | { kind: "gpus"; gpus: GpuInfo[] }
  /** nvidia-smi is not there: no NVIDIA driver installed. */
  | { kind: "absent" }
  /** nvidia-smi ran but found no GPU or no driver; `detail` is its first line. */
  | { kind: "failed"; detail: string };

export const FIELDS = ["name", "driver_version", "memory.total", "compute_cap"] as const;

const NA = /^\[?(N\/A|Not Supported|Unknown Error|Insufficient Permissions)\]?$/i;

/**
 * Parses the query's output for `fields` (in that order). Lines that do not fit (messages,
 * blank lines) are skipped; values nvidia-smi cannot give ("[N/A]") count as unknown.
 */
export function parseGpuQuery(stdout: string, fields: readonly string[] = FIELDS): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    // Names may hold commas in principle; the other fields never do: take them from the right.
    const parts = line.split(",").map((s) => s.trim());
    if (parts.length < fields.length) continue;
    const tail = parts.splice(parts.length - (fields.length - 1));
    const values: Record<string, string | undefined> = { [fields[0]!]: parts.join(", ") };
    fields.slice(1).forEach((f, i) => (values[f] = NA.test(tail[i]!) ? undefined : tail[i]));
    const name = values.name;
    const memory = Number(values["memory.total"]);
    if (!name || !Number.isFinite(memory)) continue;
    const gpu: GpuInfo = { index: gpus.length, name, memoryMiB: memory };
    if (values.driver_version && /^\d+(\.\d+)*$/.test(values.driver_version)) gpu.driver = values.driver_version;
    if (values.compute_cap && /^\d+\.\d+$/.test(values.compute_cap)) gpu.computeCap = values.compute_cap;
    gpus.push(gpu);
  }
  return gpus;
}

interface Ran {
  code: number | null;
  stdout: string;
  /** spawn failed: the program is not there (or cannot run). */
  missing: boolean;
}

function run(file: string, args: string[], timeoutMs: number): Promise<Ran> {
  return new Promise((resolve) => {
    try {
      execFile(file, args, { timeout: timeoutMs, windowsHide: true }, (err, stdout) => {
        const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
        const missing = e !== null && typeof e.code === "string" && (e.code === "ENOENT" || e.code === "EACCES");
        resolve({ code: e ? (typeof e.code === "number" ? e.code : null) : 0, stdout: String(stdout ?? ""), missing });
      });
    } catch {
      resolve({ code: null, stdout: "", missing: true });
    }
  });
}

const args = (fields: readonly string[]) => [`--query-gpu=${fields.join(",")}`, "--format=csv,noheader,nounits"];

async function queryWith(file: string): Promise<GpuQuery> {
  let r = await run(file, args(FIELDS), 10_000);
  if (r.missing) return { kind: "absent" };
  let fields: readonly string[] = FIELDS;
  if (r.code !== 0 && /compute_cap/.test(r.stdout) && /not a valid field/i.test(r.stdout)) {
    fields = FIELDS.filter((f) => f !== "compute_cap");
    r = await run(file, args(fields), 10_000);
  }
  const gpus = r.code === 0 ? parseGpuQuery(r.stdout, fields) : [];
  if (gpus.length > 0) return { kind: "gpus", gpus };
  const detail = r.stdout.split(/\r?\n/).find((l) => l.trim() !== "")?.trim() ?? `exit code ${r.code ?? "?"}`;
  return { kind: "failed", detail };
}

/**
 * The GPUs nvidia-smi reports: the one on PATH, then (Windows) where drivers before the DCH ones
 * put it. GREENBUNDLE_FAKE_GPU stands for its answer in support sessions and tests
 * ("name, driver, MiB, cc" lines joined by ";"; "" for no GPU).
 */
export async function queryGpus(windows: boolean, env: Record<string, string | undefined>): Promise<GpuQuery> {
  if (env.GREENBUNDLE_FAKE_GPU !== undefined) {
    const text = env.GREENBUNDLE_FAKE_GPU.replaceAll(";", "\n");
    const width = text.split("\n")[0]!.split(",").length;
    const gpus = text === "" ? [] : parseGpuQuery(text, width >= 4 ? FIELDS : width === 3 ? FIELDS.slice(0, 3) : ["name", "memory.total"]);
    return gpus.length ? { kind: "gpus", gpus } : { kind: "absent" };
  }
  const first = await queryWith("nvidia-smi");
  if (first.kind !== "absent" || !windows) return first;
  return queryWith(join(env.ProgramFiles ?? env.PROGRAMFILES ?? "C:\\Program Files", "NVIDIA Corporation", "NVSMI", "nvidia-smi.exe"));
}
