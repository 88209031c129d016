// ComfyUI's HTTP API as far as verify needs it (`verify.api: comfyui`; ComfyUI `server.py` and
// `execution.py` at v0.3.64): readiness on GET /system_stats; POST /prompt {"prompt": <graph>,
// "client_id"} answers {prompt_id, number, node_errors} (HTTP 400 with {error, node_errors} for a
// graph it refuses); GET /history/<prompt_id> stays {} until the prompt has run, then holds its
// status {status_str, completed, messages} and outputs {<node id>: {images: [{filename,
// subfolder, type}]}}; GET /view?filename=&subfolder=&type= sends an image. GPU facts come from
// /system_stats (devices[].name, type, vram_total, vram_free, torch_vram_total). There is no stop
// route: the launcher's process-tree stop ends it. Pure: plans the steps and reads the answers.

import { randomUUID } from "node:crypto";
import type { BundleJson } from "../contract/bundle-json.ts";
import type { ApiPlan, GeneratedImage, MemoryFacts, PlannedHttpStep, VerifyApi } from "./api.ts";
import { fillGraph, graphValues, standardGraph, usesSize, type Graph } from "./comfyui-graph.ts";

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The graph to send: the bundle's workflow filled in, or the standard text-to-image graph. */
export function comfyGraph(bj: BundleJson): Graph {
  const v = bj.verify ?? {};
  const values = graphValues(v.txt2img, typeof v.checkpoint === "string" ? v.checkpoint : "");
  return isObj(v.workflow) ? (fillGraph(v.workflow, values) as Graph) : standardGraph(values);
}

export function comfyuiPlan(bj: BundleJson, timeoutMs: number): ApiPlan<PlannedHttpStep> {
  const graph = comfyGraph(bj);
  const v = graphValues(bj.verify?.txt2img, "");
  const request = { prompt: graph, client_id: randomUUID() };
  const job = ["{prompt_id}"];
  const image = [...job, "outputs", "*", "images", 0];
  // The size is checked when the graph is ours or the workflow takes it from verify.txt2img.
  const sized = !isObj(bj.verify?.workflow) || usesSize(bj.verify.workflow);
  return {
    ready: bj.launcher.ready || "/system_stats",
    request,
    ...(sized ? { expect: { width: v.width, height: v.height } } : {}),
    steps: [
      {
        name: "prompt",
        method: "POST",
        path: "/prompt",
        body: request,
        timeoutMs: 60_000,
        // node_errors first: a 400 carries both, and the nodes' own reasons say more
        failWhen: [
          { when: { path: ["node_errors"], present: true }, error: "ComfyUI refused the graph (node_errors)", quote: ["node_errors"] },
          { when: { path: ["error"], present: true }, error: "ComfyUI refused the prompt", quote: ["error"] },
        ],
        capture: { prompt_id: ["prompt_id"] },
      },
      {
        name: "history",
        method: "GET",
        path: "/history/{prompt_id}",
        timeoutMs,
        poll: { until: { path: [...job, "status", "completed"], equals: true }, everyMs: 500 },
        failWhen: [{ when: { path: [...job, "status", "status_str"], equals: "error" }, error: "the prompt failed while it ran (execution messages)", quote: [...job, "status", "messages"] }],
        capture: { filename: [...image, "filename"], subfolder: [...image, "subfolder"], type: [...image, "type"] },
      },
      { name: "view", method: "GET", path: "/view?filename={filename}&subfolder={subfolder}&type={type}", timeoutMs: 60_000 },
      // after the generation: the memory torch holds then shows whether the GPU did the work
      { name: "system_stats", method: "GET", path: "/system_stats", timeoutMs: 30_000, optional: true },
    ],
    generation: ["prompt", "history", "view"],
  };
}

export const comfyuiApi: VerifyApi<"comfyui"> = {
  name: "comfyui",
  problems(bj) {
    const v = bj.verify ?? {};
    const out: string[] = [];
    if (v.workflow !== undefined && !isObj(v.workflow)) out.push("verify.workflow is not a graph object (the builder puts the workflow file's graph here)");
    const usesCheckpoint = !isObj(v.workflow) || JSON.stringify(v.workflow).includes("{checkpoint}");
    if (usesCheckpoint && (typeof v.checkpoint !== "string" || v.checkpoint === "")) out.push("verify.checkpoint is missing: the builder writes the ckpt_name of the checkpoint the recipe places under models/checkpoints/");
    return out;
  },
  plan: ({ bj, timeoutMs }) => comfyuiPlan(bj, timeoutMs),
  async image(a): Promise<GeneratedImage | { error: string }> {
    const png = await a.body("view");
    if (!png) return { error: "GET /view gave no answer" };
    const values = a.step("history")?.values ?? {};
    return { png, info: { prompt_id: a.step("prompt")?.values?.prompt_id, ...values } };
  },
  async explain(step, a) {
    const body = await a.body(step);
    if (!body) return undefined;
    if (step === "prompt") return explainRefusal(body);
    if (step === "history") return explainExecution(body, String(a.step("prompt")?.values?.prompt_id ?? a.step("history")?.values?.prompt_id ?? ""));
    return undefined;
  },
  async gpu(a) {
    const body = a.step("system_stats")?.ok ? await a.body("system_stats") : undefined;
    return body ? readSystemStats(body) : null;
  },
};

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

const said = (e: unknown) => (isObj(e) ? [e.message, e.details].filter((x) => typeof x === "string" && x !== "").join(": ") : "");

/**
 * A refused graph in ComfyUI's words: each node's errors ("node 4 CheckpointLoaderSimple: Value
 * not in list: ckpt_name: 'x' not in [...]"), else the prompt's error.
 */
export function explainRefusal(body: Buffer): string | undefined {
  const json = parse(body);
  if (!isObj(json)) return undefined;
  const nodes = isObj(json.node_errors) ? Object.entries(json.node_errors) : [];
  const lines = nodes.flatMap(([id, n]) => {
    const errs = isObj(n) && Array.isArray(n.errors) ? n.errors : [];
    return errs.map((e) => `node ${id}${isObj(n) && typeof n.class_type === "string" ? ` ${n.class_type}` : ""}: ${said(e)}`);
  });
  if (lines.length > 0) return `ComfyUI refused the graph (node_errors): ${lines.join("; ")}`;
  const top = said(json.error);
  return top ? `ComfyUI refused the prompt: ${top}` : undefined;
}

/** A prompt that failed while it ran: the node and exception of its execution_error message. */
export function explainExecution(body: Buffer, promptId: string): string | undefined {
  const json = parse(body);
  const entry = isObj(json) ? (promptId && isObj(json[promptId]) ? json[promptId] : Object.values(json).find(isObj)) : undefined;
  const messages = isObj(entry) && isObj(entry.status) && Array.isArray(entry.status.messages) ? entry.status.messages : [];
  const error = messages.find((m): m is [string, Record<string, unknown>] => Array.isArray(m) && m[0] === "execution_error" && isObj(m[1]));
  if (!error) return undefined;
  const d = error[1];
  return `the prompt failed while it ran: node ${String(d.node_id)} ${String(d.node_type)} raised ${String(d.exception_type)}: ${String(d.exception_message)}`;
}

const GIB = 1024 ** 3;
const gib = (n: unknown) => (typeof n === "number" ? Math.round((n / GIB) * 100) / 100 : undefined);

/**
 * Interprets /system_stats: `devices[0]` is the torch device ComfyUI runs on (`type` "cuda",
 * "cpu", …; memory in bytes). Memory that torch holds after the generation means the GPU did it.
 */
export function readSystemStats(body: Buffer): MemoryFacts {
  let json: { devices?: unknown };
  try {
    json = JSON.parse(body.toString("utf8")) as typeof json;
  } catch {
    return { used: false, detail: "/system_stats did not answer JSON", figures: {} };
  }
  const d = Array.isArray(json.devices) && isObj(json.devices[0]) ? json.devices[0] : undefined;
  if (!d) return { used: false, detail: "/system_stats lists no device", figures: {} };
  const figures: Record<string, number> = {};
  for (const [name, k] of [["vramTotalGiB", "vram_total"], ["vramFreeGiB", "vram_free"], ["torchVramGiB", "torch_vram_total"]] as const) {
    const v = gib(d[k]);
    if (v !== undefined) figures[name] = v;
  }
  const type = String(d.type ?? "?");
  const name = String(d.name ?? "?");
  if (type === "cpu") return { used: false, detail: `ComfyUI ran on the CPU (${name})`, figures };
  const held = Number(d.torch_vram_total ?? 0);
  const used = held > 0;
  const detail = used ? `${type} device ${name}: torch holds ${gib(held)} GiB of ${figures.vramTotalGiB ?? "?"} GiB` : `${type} device ${name}, but torch holds no memory on it`;
  return { used, detail, figures };
}
