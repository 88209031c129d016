// The real recipes of the other app families plan for every platform they list, without network
// access: ComfyUI (verify.api comfyui), SD WebUI Forge (a1111) and Stability-AI's SD 2.1
// reference scripts (command) — with the commits, checkpoints and per-platform wheels they pin.
import { describe, expect, it } from "vitest";
import { loadRecipe } from "../../src/recipe/load.ts";
import { runCli } from "../helpers/cli.ts";

interface PlanJson {
  platform: string;
  lock: { state: string };
  artifacts: { id: string; kind: string; dest: string; urls: string[]; sha256?: string; commit?: string; size?: number; locked: boolean; version?: string }[];
}

async function plan(recipe: string, platform: string): Promise<PlanJson & { find(id: string): PlanJson["artifacts"][number] | undefined; kinds(k: string): PlanJson["artifacts"] }> {
  const r = await runCli(["plan", recipe, "--platform", platform, "--json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const p = JSON.parse(r.stdout) as PlanJson;
  return { ...p, find: (id) => p.artifacts.find((a) => a.id === id), kinds: (k) => p.artifacts.filter((a) => a.kind === k) };
}

const SD15 = "6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa";

describe("recipes/comfyui.yml", () => {
  const RECIPE = "recipes/comfyui.yml";

  it("plans win-x64: ComfyUI v0.3.64, Python 3.12.10's embeddable zip, MinGit, torch from the cu129 index, the SD 1.5 checkpoint under models/checkpoints", async () => {
    const p = await plan(RECIPE, "win-x64");
    expect(p.find("repo:ComfyUI")).toMatchObject({ commit: "637221995f7424a561bd825de3e61ea117dfe1e3", urls: ["https://github.com/Comfy-Org/ComfyUI.git", "https://ghfast.top/https://github.com/Comfy-Org/ComfyUI.git"] });
    expect(p.find("python")).toMatchObject({ sha256: "4acbed6dd1c744b0376e3b1cf57ce906f9dc9e95e68824584c8099a63025a3c3", urls: expect.arrayContaining([expect.stringMatching(/python-3\.12\.10-embed-amd64\.zip$/)]) });
    expect(p.kinds("git")).toHaveLength(1);
    expect(p.find("wheel:torch")).toMatchObject({ version: "2.8.0+cu129", urls: ["https://download.pytorch.org/whl/cu129/torch/"] });
    expect(p.find("wheel:comfyui-frontend-package")).toMatchObject({ version: "1.27.10" });
    expect(p.find("wheel:colorama")).toBeDefined();
    expect(p.find("wheel:triton")).toBeUndefined();
    expect(p.find("file:ComfyUI/models/checkpoints/v1-5-pruned-emaonly.safetensors")).toMatchObject({ sha256: SD15, size: 4265146304 });
    expect(p.find("file:ComfyUI/extra_model_paths.yaml")).toBeDefined();
    expect(p.lock.state).toBe("missing");
  });

  it("plans linux-x64 with the CUDA 12.9 libraries and triton torch needs there, and no portable git", async () => {
    const p = await plan(RECIPE, "linux-x64");
    expect(p.find("wheel:triton")).toMatchObject({ version: "3.4.0" });
    expect(p.find("wheel:nvidia-cudnn-cu12")).toMatchObject({ version: "9.10.2.21" });
    expect(p.find("wheel:colorama")).toBeUndefined();
    expect(p.kinds("git")).toHaveLength(0);
    expect(p.find("wheel:numpy")!.dest).toBe("python/lib/python3.12/site-packages");
  });

  it("is verified through ComfyUI's API with the checkpoint it places, and never passes --windows-standalone-build", async () => {
    const { recipe } = await loadRecipe(RECIPE);
    expect(recipe.verify).toMatchObject({ api: "comfyui", checkpoint: "v1-5-pruned-emaonly.safetensors" });
    expect(recipe.launcher).toMatchObject({ cwd: "ComfyUI", port: 8188, ready: "/system_stats" });
    expect(recipe.launcher.command).not.toContain("--windows-standalone-build");
    expect(recipe.launcher.env).toMatchObject({ HF_HOME: "{bundle}/hf", HF_HUB_OFFLINE: "1" });
  });
});

describe("recipes/sd-webui-forge.yml", () => {
  const RECIPE = "recipes/sd-webui-forge.yml";

  it("plans win-x64: Forge at its pinned commit with the repositories it would clone at first launch, torch 2.3.1+cu121 and bitsandbytes", async () => {
    const p = await plan(RECIPE, "win-x64");
    expect(p.find("repo:webui")).toMatchObject({ commit: "dfdcbab685e57677014f05a3309b48cc87383167" });
    expect(p.kinds("repo").map((r) => r.dest).sort()).toEqual(["webui", "webui/repositories/BLIP", "webui/repositories/huggingface_guess", "webui/repositories/stable-diffusion-webui-assets"]);
    expect(p.kinds("extension")).toHaveLength(1);
    expect(p.find("wheel:torch")).toMatchObject({ version: "2.3.1+cu121", urls: ["https://download.pytorch.org/whl/cu121/torch/"] });
    // Forge pip-installs exactly this version at every CUDA start unless it is there
    expect(p.find("wheel:bitsandbytes")).toMatchObject({ version: "0.45.3" });
    expect(p.find("wheel:mkl")).toBeDefined();
    expect(p.find("file:webui/models/Stable-diffusion/v1-5-pruned-emaonly.safetensors")).toMatchObject({ sha256: SD15 });
  });

  it("plans linux-x64 with the CUDA 12.1 libraries, and is verified through the A1111 API it speaks", async () => {
    const p = await plan(RECIPE, "linux-x64");
    expect(p.find("wheel:nvidia-cudnn-cu12")).toMatchObject({ version: "8.9.2.26" });
    expect(p.find("wheel:mkl")).toBeUndefined();
    const { recipe } = await loadRecipe(RECIPE);
    expect(recipe.verify?.api).toBe("a1111");
    expect(recipe.launcher.command).toEqual(expect.arrayContaining(["--skip-prepare-environment", "--api", "--api-server-stop"]));
  });
});

describe("recipes/stability-sd2-scripts.yml", () => {
  const RECIPE = "recipes/stability-sd2-scripts.yml";

  it.each(["win-x64", "linux-x64"])("plans %s: the stablediffusion repository, the SD 2.1-base .ckpt and the OpenCLIP weights pre-placed in the Hugging Face cache", async (platform) => {
    const p = await plan(RECIPE, platform);
    expect(p.find("repo:stablediffusion")).toMatchObject({ commit: "cf1d67a6fd5ea1aa600c4df58e5b47da45f6bdbf" });
    expect(p.find("file:stablediffusion/checkpoints/v2-1_512-ema-pruned.ckpt")).toMatchObject({ sha256: "88ecb782561455673c4b78d05093494b9c539fc6bfc08f3a9a4a0dd7b0b10f36" });
    const clip = p.artifacts.find((a) => a.dest.endsWith("/open_clip_pytorch_model.bin"))!;
    expect(clip.dest).toMatch(/^hf\/hub\/models--laion--CLIP-ViT-H-14-laion2B-s32B-b79K\/snapshots\/[0-9a-f]{40}\//);
    expect(clip.locked).toBe(false); // its sha256 is pinned by `bundle lock`, not invented
    expect(p.find("wheel:torch")).toMatchObject({ version: "2.1.2+cu121" });
  });

  it("is a script app: no ready path, verified by running scripts/txt2img.py through launcher --exec", async () => {
    const { recipe } = await loadRecipe(RECIPE);
    expect(recipe.launcher.ready).toBeUndefined();
    expect(recipe.verify).toMatchObject({ api: "command", image: "{out}/samples/*.png" });
    expect(recipe.verify!.command).toEqual(expect.arrayContaining(["{python}", "scripts/txt2img.py", "--outdir", "{out}", "--device", "cuda"]));
  });
});
