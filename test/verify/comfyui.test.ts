// The ComfyUI entry of the verify API registry: the graph it sends (ComfyUI's standard
// text-to-image graph, or a workflow with its placeholders filled), the steps it plans, what it
// reads from /system_stats, and what it refuses in bundle.json's verify block.
import { describe, expect, it } from "vitest";
import type { BundleJson } from "../../src/contract/bundle-json.ts";
import { comfyGraph, comfyuiApi, comfyuiPlan, readSystemStats } from "../../src/verify/comfyui.ts";
import { fillGraph, graphValues, usesSize } from "../../src/verify/comfyui-graph.ts";
import { generationText } from "../../src/verify/api.ts";

const txt2img = { prompt: "a cute cat", negative_prompt: "blurry", steps: 12, width: 384, height: 256, seed: 7, cfg_scale: 6.5 };
const bj = (verify: Record<string, unknown>, ready = "/system_stats") => ({ launcher: { command: ["{python}", "main.py"], ready }, verify: { api: "comfyui", ...verify } }) as unknown as BundleJson;

describe("the graph verify sends to ComfyUI", () => {
  it("is the standard text-to-image graph with the test generation's settings and the checkpoint", () => {
    const g = comfyGraph(bj({ txt2img, checkpoint: "sd15\\demo.safetensors" }));
    expect(Object.fromEntries(Object.entries(g).map(([id, n]) => [id, n.class_type]))).toEqual({
      "4": "CheckpointLoaderSimple",
      "6": "CLIPTextEncode",
      "7": "CLIPTextEncode",
      "5": "EmptyLatentImage",
      "3": "KSampler",
      "8": "VAEDecode",
      "9": "SaveImage",
    });
    expect(g["4"]!.inputs).toEqual({ ckpt_name: "sd15\\demo.safetensors" });
    expect(g["6"]!.inputs).toEqual({ text: "a cute cat", clip: ["4", 1] });
    expect(g["7"]!.inputs).toEqual({ text: "blurry", clip: ["4", 1] });
    expect(g["5"]!.inputs).toEqual({ width: 384, height: 256, batch_size: 1 });
    expect(g["3"]!.inputs).toEqual({ seed: 7, steps: 12, cfg: 6.5, sampler_name: "euler", scheduler: "normal", denoise: 1, model: ["4", 0], positive: ["6", 0], negative: ["7", 0], latent_image: ["5", 0] });
    expect(g["8"]!.inputs).toEqual({ samples: ["3", 0], vae: ["4", 2] });
    expect(g["9"]!.inputs).toEqual({ filename_prefix: "greenbundle-verify", images: ["8", 0] });
  });

  it("takes the recipe's sampler, and cfg 7 and an empty negative prompt when the recipe sets none", () => {
    const g = comfyGraph(bj({ txt2img: { prompt: "p", steps: 20, width: 512, height: 512, seed: 1, sampler_name: "dpmpp_2m" }, checkpoint: "x.ckpt" }));
    expect(g["3"]!.inputs).toMatchObject({ cfg: 7, sampler_name: "dpmpp_2m" });
    expect(g["7"]!.inputs.text).toBe("");
  });

  it("fills a workflow's placeholders in string values: a lone numeric placeholder becomes a number, others are written into the text", () => {
    const workflow = {
      "1": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "{checkpoint}" } },
      "2": { class_type: "EmptyLatentImage", inputs: { width: "{width}", height: "{height}", batch_size: 1 } },
      "3": { class_type: "KSampler", inputs: { seed: "{seed}", steps: "{steps}", cfg: "{cfg_scale}", model: ["1", 0], note: "seed {seed} at {width}x{height}" } },
      "4": { class_type: "CLIPTextEncode", inputs: { text: "{prompt}, masterpiece", clip: ["1", 1], other: "{unknown}" } },
      "{prompt}": { class_type: "Note", inputs: { text: "{negative_prompt}" } },
    };
    const g = comfyGraph(bj({ txt2img, checkpoint: "demo.ckpt", workflow }));
    expect(g["1"]!.inputs.ckpt_name).toBe("demo.ckpt");
    expect(g["2"]!.inputs).toEqual({ width: 384, height: 256, batch_size: 1 });
    expect(g["3"]!.inputs).toEqual({ seed: 7, steps: 12, cfg: 6.5, model: ["1", 0], note: "seed 7 at 384x256" });
    expect(g["4"]!.inputs).toEqual({ text: "a cute cat, masterpiece", clip: ["1", 1], other: "{unknown}" });
    expect(g["{prompt}"]!.inputs.text).toBe("blurry");
    expect(fillGraph("{checkpoint}", graphValues({}, "a.ckpt"))).toBe("a.ckpt");
  });

  it("checks the image size when the graph is its own or the workflow takes the size from verify.txt2img", () => {
    expect(comfyuiPlan(bj({ txt2img, checkpoint: "x.ckpt" }), 5000).expect).toEqual({ width: 384, height: 256 });
    const sized = { "2": { class_type: "EmptyLatentImage", inputs: { width: "{width}", height: "{height}" } } };
    expect(usesSize(sized)).toBe(true);
    expect(comfyuiPlan(bj({ txt2img, workflow: sized }), 5000).expect).toEqual({ width: 384, height: 256 });
    const fixed = { "2": { class_type: "EmptyLatentImage", inputs: { width: 1024, height: 1024 } } };
    expect(comfyuiPlan(bj({ txt2img, workflow: fixed }), 5000).expect).toBeUndefined();
  });
});

describe("the ComfyUI plan", () => {
  it("posts the graph with a client id, polls the history until it completes, fetches the image, then reads /system_stats", () => {
    const p = comfyuiPlan(bj({ txt2img, checkpoint: "x.ckpt" }), 90_000);
    expect(p.ready).toBe("/system_stats");
    expect(p.stop).toBeUndefined();
    expect(p.steps.map((s) => `${s.method} ${s.path}`)).toEqual(["POST /prompt", "GET /history/{prompt_id}", "GET /view?filename={filename}&subfolder={subfolder}&type={type}", "GET /system_stats"]);
    expect(generationText(p)).toBe("POST /prompt → GET /history/{prompt_id} → GET /view?filename={filename}&subfolder={subfolder}&type={type}");
    const body = p.steps[0]!.body as { prompt: unknown; client_id: string };
    expect(body.prompt).toEqual(comfyGraph(bj({ txt2img, checkpoint: "x.ckpt" })));
    expect(body.client_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(p.request).toEqual(body);
    expect(p.steps[1]).toMatchObject({ timeoutMs: 90_000, poll: { until: { path: ["{prompt_id}", "status", "completed"], equals: true } } });
    expect(p.steps[3]!.optional).toBe(true);
    expect(comfyuiPlan(bj({ txt2img, checkpoint: "x.ckpt" }, ""), 1).ready).toBe("/system_stats");
  });

  it("refuses a verify block without the checkpoint its graph needs, or with a workflow that is not a graph", () => {
    expect(comfyuiApi.problems!(bj({ txt2img, checkpoint: "x.ckpt" }))).toEqual([]);
    expect(comfyuiApi.problems!(bj({ txt2img }))).toEqual([expect.stringContaining("verify.checkpoint is missing")]);
    expect(comfyuiApi.problems!(bj({ txt2img, workflow: { "1": { class_type: "X", inputs: {} } } }))).toEqual([]);
    expect(comfyuiApi.problems!(bj({ txt2img, workflow: "verify.json", checkpoint: "x.ckpt" }))).toEqual([expect.stringContaining("verify.workflow is not a graph")]);
  });
});

describe("GPU facts from /system_stats", () => {
  const stats = (device: Record<string, unknown>) => Buffer.from(JSON.stringify({ system: { os: "posix" }, devices: [device] }));

  it("says the GPU did the work when torch holds memory on a CUDA device", () => {
    const m = readSystemStats(stats({ name: "cuda:0 NVIDIA H200 : cudaMallocAsync", type: "cuda", index: 0, vram_total: 150 * 2 ** 30, vram_free: 140 * 2 ** 30, torch_vram_total: 4 * 2 ** 30, torch_vram_free: 2 ** 30 }));
    expect(m).toEqual({ used: true, detail: "cuda device cuda:0 NVIDIA H200 : cudaMallocAsync: torch holds 4 GiB of 150 GiB", figures: { vramTotalGiB: 150, vramFreeGiB: 140, torchVramGiB: 4 } });
  });

  it("says it did not when ComfyUI runs on the CPU or torch holds nothing on the GPU", () => {
    expect(readSystemStats(stats({ name: "cpu", type: "cpu", vram_total: 0, vram_free: 0 }))).toMatchObject({ used: false, detail: "ComfyUI ran on the CPU (cpu)" });
    expect(readSystemStats(stats({ name: "cuda:0", type: "cuda", vram_total: 2 ** 30, torch_vram_total: 0 }))).toMatchObject({ used: false, detail: "cuda device cuda:0, but torch holds no memory on it" });
    expect(readSystemStats(Buffer.from("<html>"))).toMatchObject({ used: false, detail: "/system_stats did not answer JSON" });
    expect(readSystemStats(Buffer.from('{"devices": []}'))).toMatchObject({ used: false, detail: "/system_stats lists no device" });
  });
});
