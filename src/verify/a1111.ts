// The AUTOMATIC1111 HTTP API as far as verify needs it (`verify.api: a1111`; Forge and SD.Next
// speak it too): readiness on /sdapi/v1/sd-models, POST /sdapi/v1/txt2img whose answer holds the
// image as base64, GPU memory figures from /sdapi/v1/memory, and POST /sdapi/v1/server-stop when
// the command line enables it with --api-server-stop (A1111 `modules/api/api.py` at v1.10.1).
// Pure: plans the driver's steps and reads the answers.

import type { BundleJson } from "../contract/bundle-json.ts";
import type { ApiPlan, GeneratedImage, MemoryFacts, PlannedHttpStep, VerifyApi } from "./api.ts";

const DEFAULT_TXT2IMG = { prompt: "a cute cat", steps: 20, width: 512, height: 512, seed: 42 };

export function a1111Plan(bj: BundleJson, timeoutMs: number): ApiPlan<PlannedHttpStep> {
  const request = { ...(bj.verify?.txt2img ?? DEFAULT_TXT2IMG) };
  const stop = bj.launcher.command.includes("--api-server-stop") ? { method: "POST" as const, path: "/sdapi/v1/server-stop" } : undefined;
  return {
    ready: bj.launcher.ready || "/sdapi/v1/sd-models",
    request,
    steps: [
      { name: "txt2img", method: "POST", path: "/sdapi/v1/txt2img", body: request, timeoutMs },
      // after the generation, so that the peak figures show whether the GPU did the work
      { name: "memory", method: "GET", path: "/sdapi/v1/memory", timeoutMs: 30_000, optional: true },
    ],
    generation: ["txt2img"],
    ...(stop ? { stop } : {}),
  };
}

export const a1111Api: VerifyApi<"a1111"> = {
  name: "a1111",
  plan: ({ bj, timeoutMs }) => a1111Plan(bj, timeoutMs),
  async image(a) {
    const body = await a.body("txt2img");
    return body ? readTxt2img(body) : { error: "txt2img gave no answer" };
  },
  async gpu(a) {
    const body = a.step("memory")?.ok ? await a.body("memory") : undefined;
    return body ? readMemory(body) : null;
  },
};

/** Reads the txt2img answer; returns the reason when it is not `{images: [base64 PNG], …}`. */
export function readTxt2img(body: Buffer): GeneratedImage | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    return { error: `txt2img did not answer JSON (${body.length} bytes starting ${JSON.stringify(body.toString("utf8", 0, 80))})` };
  }
  const images = (json as { images?: unknown }).images;
  if (!Array.isArray(images) || images.length === 0 || typeof images[0] !== "string") return { error: "txt2img answered without images[0]" };
  const b64 = (images[0] as string).replace(/^data:image\/png;base64,/, "");
  if (!/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(b64)) return { error: "images[0] is not base64" };
  const png = Buffer.from(b64, "base64");
  const rawInfo = (json as { info?: unknown }).info;
  let info: Record<string, unknown> | undefined;
  if (typeof rawInfo === "string") {
    try {
      info = JSON.parse(rawInfo) as Record<string, unknown>;
    } catch {
      /* A1111 always sends JSON here; another app may not — the image is what counts */
    }
  }
  return { png, ...(info ? { info } : {}) };
}

const GIB = 1024 ** 3;
const gib = (n: unknown) => (typeof n === "number" ? Math.round((n / GIB) * 100) / 100 : undefined);

/** Interprets /sdapi/v1/memory: `cuda` holds system/active/allocated/reserved, or `{error}`. */
export function readMemory(body: Buffer): MemoryFacts {
  let json: { cuda?: Record<string, unknown> };
  try {
    json = JSON.parse(body.toString("utf8")) as typeof json;
  } catch {
    return { used: false, detail: "/sdapi/v1/memory did not answer JSON", figures: {} };
  }
  const cuda = json.cuda ?? {};
  if ("error" in cuda) return { used: false, detail: `CUDA: ${String(cuda.error)}`, figures: {} };
  const pick = (k: string, sub: string) => (cuda[k] as Record<string, unknown> | undefined)?.[sub];
  const figures: Record<string, number> = {};
  for (const [name, k, sub] of [
    ["totalGiB", "system", "total"],
    ["freeGiB", "system", "free"],
    ["allocatedPeakGiB", "allocated", "peak"],
    ["activePeakGiB", "active", "peak"],
    ["reservedPeakGiB", "reserved", "peak"],
  ] as const) {
    const v = gib(pick(k, sub));
    if (v !== undefined) figures[name] = v;
  }
  const peak = Math.max(Number(pick("allocated", "peak") ?? 0), Number(pick("active", "peak") ?? 0));
  const used = peak > 0;
  return { used, detail: used ? `CUDA peak allocation ${gib(peak)} GiB of ${figures.totalGiB ?? "?"} GiB` : "CUDA is available but nothing was allocated", figures };
}
