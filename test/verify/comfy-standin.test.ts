// The demo's ComfyUI stand-in, run by the host's Python: it must refuse the graphs ComfyUI refuses,
// with ComfyUI's error types (so that verify is tested against real refusals), and run the ones
// it accepts from its queue. Then `bundle verify` of a hand-made bundle of it whose recipe gave a
// workflow using the custom node: the graph is filled in, sent, validated and run offline.
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BundleJson } from "../../src/contract/bundle-json.ts";
import { appFiles, demoCheckpoint, repoFiles } from "../../src/demo/world.ts";
import { standardGraph, graphValues, type Graph } from "../../src/verify/comfyui-graph.ts";
import { snapshotTree } from "../../src/verify/tree.ts";
import { verifyBundle } from "../../src/verify/verify.ts";
import { tempDir } from "../helpers/tmp.ts";
import { hostPython } from "./fake-bundle.ts";

const linux = process.platform === "linux";

/** The stand-in's repository, its custom node, the palette wheel's package and a checkpoint, under `root`. */
async function layout(root: string): Promise<void> {
  const put = async (base: string, files: Record<string, string>) => {
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(dirname(join(base, rel)), { recursive: true });
      await writeFile(join(base, rel), text);
    }
  };
  await put(join(root, "ComfyUI"), await repoFiles("comfyui"));
  await put(join(root, "ComfyUI", "custom_nodes", "gb-demo-nodes"), await repoFiles("comfyNodes"));
  await put(join(root, "python", "lib", "python3.11", "site-packages"), await appFiles("palette"));
  await mkdir(join(root, "ComfyUI", "models", "checkpoints", "sd15"), { recursive: true });
  await writeFile(join(root, "ComfyUI", "models", "checkpoints", "sd15", "demo.ckpt"), demoCheckpoint());
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function post(port: number, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`http://127.0.0.1:${port}/prompt`, { method: "POST", body: JSON.stringify(body) });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

describe.skipIf(!linux)("the ComfyUI stand-in", () => {
  let app: ChildProcess;
  let port: number;
  let output = "";
  const good = () => standardGraph(graphValues({ prompt: "a cat", steps: 4, width: 64, height: 48, seed: 1 }, "sd15/demo.ckpt"));

  beforeAll(async () => {
    const root = await tempDir("gb-comfy-standin-");
    await layout(root);
    port = await freePort();
    app = spawn(hostPython, ["-u", "main.py", "--port", String(port)], { cwd: join(root, "ComfyUI"), env: { ...process.env, PYTHONPATH: join(root, "python", "lib", "python3.11", "site-packages"), PYTHONDONTWRITEBYTECODE: "1" } });
    app.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    app.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    for (let i = 0; i < 100; i++) {
      if (await fetch(`http://127.0.0.1:${port}/system_stats`).then((r) => r.ok, () => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the stand-in did not start:\n${output}`);
  });
  afterAll(() => void app?.kill("SIGKILL"));

  it("lists the custom node's class next to its own, and the checkpoint by its path under models/checkpoints", async () => {
    const info = (await (await fetch(`http://127.0.0.1:${port}/object_info`)).json()) as Record<string, { input: { required: Record<string, unknown[]> } }>;
    expect(Object.keys(info)).toEqual(expect.arrayContaining(["CheckpointLoaderSimple", "KSampler", "SaveImage", "GBDemoVignette"]));
    expect(info.CheckpointLoaderSimple!.input.required.ckpt_name).toEqual([["sd15/demo.ckpt"]]);
  });

  it("refuses a node class it does not know, and a graph without an output node", async () => {
    const unknown = await post(port, { prompt: { ...good(), "9": { class_type: "SaveImageWebp", inputs: {} } } });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toEqual({ error: { type: "invalid_prompt", message: "Cannot execute because node SaveImageWebp does not exist.", details: "Node ID '#9'", extra_info: {} }, node_errors: {} });
    const { "9": _, ...noOutput } = good();
    expect((await post(port, { prompt: noOutput })).json.error).toMatchObject({ type: "prompt_no_outputs" });
  });

  it("refuses wrong links, missing inputs, values out of range and a checkpoint it does not have, per node", async () => {
    const g: Graph = good();
    g["8"]!.inputs.vae = ["4", 1]; // CLIP where VAE is wanted
    delete g["3"]!.inputs.seed;
    g["5"]!.inputs.width = 8; // below EmptyLatentImage's minimum of 16
    g["4"]!.inputs.ckpt_name = "v1-5-pruned-emaonly.safetensors";
    const r = await post(port, { prompt: g });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: "prompt_outputs_failed_validation", message: "Prompt outputs failed validation" });
    const errors = Object.fromEntries(Object.entries(r.json.node_errors as Record<string, { errors: { type: string; details: string }[]; class_type: string }>).map(([id, n]) => [id, n.errors.map((e) => `${n.class_type} ${e.type}: ${e.details}`)]));
    expect(errors).toEqual({
      "4": ["CheckpointLoaderSimple value_not_in_list: ckpt_name: 'v1-5-pruned-emaonly.safetensors' not in ['sd15/demo.ckpt']"],
      "3": ["KSampler required_input_missing: seed"],
      "5": ["EmptyLatentImage value_smaller_than_min: width"],
      "8": ["VAEDecode return_type_mismatch: vae, received_type(CLIP) mismatch input_type(VAE)"],
    });
  });

  it("refuses a link to a node the graph lacks, as ComfyUI does (an exception while validating)", async () => {
    const g: Graph = good();
    g["9"]!.inputs.images = ["10", 0];
    const r = await post(port, { prompt: g });
    expect(r.status).toBe(400);
    expect(r.json.node_errors).toMatchObject({ "9": { errors: [{ type: "exception_during_validation", details: "'10'" }], class_type: "SaveImage" } });
  });

  it("queues a valid graph: the history stays empty until it ran, then names the image /view sends", async () => {
    const g: Graph = { ...good(), "10": { class_type: "GBDemoVignette", inputs: { images: ["8", 0], strength: 0.5 } } };
    g["9"]!.inputs.images = ["10", 0];
    const r = await post(port, { prompt: g, client_id: "test" });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ prompt_id: expect.any(String), number: expect.any(Number), node_errors: {} });
    const id = r.json.prompt_id as string;
    let history: Record<string, { status: { completed: boolean; status_str: string }; outputs: Record<string, { images: { filename: string; subfolder: string; type: string }[] }> }> = {};
    for (let i = 0; i < 100 && !history[id]; i++) {
      history = (await (await fetch(`http://127.0.0.1:${port}/history/${id}`)).json()) as typeof history;
      if (!history[id]) await new Promise((res) => setTimeout(res, 100));
    }
    expect(history[id]!.status).toMatchObject({ completed: true, status_str: "success" });
    const image = history[id]!.outputs["9"]!.images[0]!;
    expect(image).toEqual({ filename: expect.stringMatching(/^greenbundle-verify_\d{5}_\.png$/), subfolder: "", type: "output" });
    const view = await fetch(`http://127.0.0.1:${port}/view?filename=${image.filename}&subfolder=&type=output`);
    expect(view.status).toBe(200);
    expect(Buffer.from(await view.arrayBuffer()).subarray(1, 4).toString()).toBe("PNG");
    expect((await fetch(`http://127.0.0.1:${port}/view?filename=../main.py&type=output`)).status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${port}/view?filename=main.py&subfolder=..&type=output`)).status).toBe(403);
  });
});

describe.skipIf(!linux)("bundle verify of a ComfyUI bundle whose recipe gave a workflow", () => {
  it("fills the workflow in, sends it, and checks the image the custom node finished", async () => {
    const dir = await tempDir("gb-comfy-verify-");
    const root = join(dir, "comfy-1.0.0-linux-x64");
    await layout(root);
    await mkdir(join(root, "python", "bin"), { recursive: true });
    await writeFile(join(root, "python", "bin", "python3"), `#!/bin/sh\nPYTHONPATH="$(dirname "$0")/../lib/python3.11/site-packages" PYTHONDONTWRITEBYTECODE=1 exec "${hostPython}" "$@"\n`, { mode: 0o755 });
    // the launcher: --no-browser --port N, the app in ComfyUI/
    await writeFile(join(root, "launcher"), `#!/bin/sh\nhere=$(cd "$(dirname "$0")" && pwd)\nwhile [ $# -gt 0 ]; do case "$1" in --port) port=$2; shift;; esac; shift; done\ncd "$here/ComfyUI" && exec "$here/python/bin/python3" -u main.py --port "$port"\n`);
    await chmod(join(root, "launcher"), 0o755);
    const workflow = {
      "1": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "{checkpoint}" } },
      "2": { class_type: "CLIPTextEncode", inputs: { text: "{prompt}, watercolour", clip: ["1", 1] } },
      "3": { class_type: "EmptyLatentImage", inputs: { width: "{width}", height: "{height}", batch_size: 1 } },
      "4": { class_type: "KSampler", inputs: { seed: "{seed}", steps: "{steps}", cfg: "{cfg_scale}", sampler_name: "dpmpp_2m", scheduler: "karras", denoise: 1, model: ["1", 0], positive: ["2", 0], negative: ["2", 0], latent_image: ["3", 0] } },
      "5": { class_type: "VAEDecode", inputs: { samples: ["4", 0], vae: ["1", 2] } },
      "6": { class_type: "GBDemoVignette", inputs: { images: ["5", 0], strength: 0.4 } },
      "7": { class_type: "SaveImage", inputs: { images: ["6", 0], filename_prefix: "workflow/test" } },
    };
    const tree = await snapshotTree(root);
    const bj: BundleJson = {
      format: 1,
      name: "comfy",
      version: "1.0.0",
      title: "ComfyUI stand-in",
      platform: "linux-x64",
      builder: { name: "greenbundle", version: "test" },
      components: [{ kind: "python", name: "python", dest: "python" }],
      launcher: { name: "launcher", title: "ComfyUI", version: "1.0.0", cwd: "ComfyUI", command: ["{python}", "main.py", "--port", "{port}"], port: 8188, ready: "/system_stats", env: {}, gpu: { cpu: [], vram: [] }, python: "python/bin/python3", git: null, repos: [] },
      verify: { api: "comfyui", txt2img: { prompt: "a cute cat", steps: 6, width: 80, height: 56, seed: 3, cfg_scale: 5 }, checkpoint: "sd15/demo.ckpt", workflow, timeout: 60, allow_changes: ["ComfyUI/output/**", "ComfyUI/input/**", "ComfyUI/user/**"] },
      files: [...tree].map(([path, e]) => ({ path, size: e.size, sha256: e.sha256!, ...(e.mode & 0o100 ? { exec: true } : {}) })),
    };
    await writeFile(join(root, "bundle.json"), JSON.stringify(bj, null, 2));
    const r = await verifyBundle({ input: root, gpu: "auto", hostPlatform: "linux-x64", allowNetns: true, cwd: dir, env: { ...process.env }, toolVersion: "test", tmpRoot: dir, reportDir: join(dir, "report") });
    expect(r.report.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect(r.report.image).toMatchObject({ width: 80, height: 56, info: { filename: "test_00001_.png", subfolder: "workflow", type: "output" } });
    const sent = (r.report.request as { prompt: Graph }).prompt;
    expect(sent["4"]!.inputs).toMatchObject({ seed: 3, steps: 6, cfg: 5 });
    expect(sent["2"]!.inputs.text).toBe("a cute cat, watercolour");
    expect(sent["1"]!.inputs.ckpt_name).toBe("sd15/demo.ckpt");
  }, 120_000);
});
