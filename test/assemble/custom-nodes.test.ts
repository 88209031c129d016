// ComfyUI custom nodes are extensions placed under ComfyUI/custom_nodes/: the Python packages a
// custom node declares (its requirements.txt, the recipe's `requirements:` for it) are held
// against the wheel set exactly as an A1111 extension's are.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkExtensionNeeds } from "../../src/assemble/steps.ts";
import type { BundleEvent } from "../../src/core/events.ts";
import { makePlan } from "../../src/plan/plan.ts";
import { loadRecipe } from "../../src/recipe/load.ts";
import { tempDir } from "../helpers/tmp.ts";

const C40 = "a".repeat(40);

async function comfyRecipe(dir: string, requirements: string[]): Promise<string> {
  await writeFile(join(dir, "comfy.requirements.txt"), "numpy==1.26.4\npillow==10.4.0\n");
  const file = join(dir, "comfy.yml");
  const lines = [
    "recipe: 1",
    "name: comfy-nodes",
    "version: 1.0.0",
    "platforms: [linux-x64]",
    "mirrors: { gh: [https://github.com], files: [https://files.example.com], pypi: [https://pypi.org/simple] }",
    `python: { version: 3.12.10, linux-x64: { url: mirror://files/python.tar.gz, sha256: ${"b".repeat(64)} } }`,
    "wheels: { indexes: [pypi], requirements: comfy.requirements.txt }",
    `repos: [{ path: ComfyUI, url: mirror://gh/Comfy-Org/ComfyUI.git, commit: ${C40} }]`,
    "extensions:",
    "  dir: ComfyUI/custom_nodes",
    "  items:",
    `    - { name: ComfyUI-Demo-Node, url: mirror://gh/someone/ComfyUI-Demo-Node.git, commit: ${C40}, requirements: ${JSON.stringify(requirements)} }`,
    `files: [{ path: ComfyUI/models/checkpoints/m.safetensors, url: mirror://files/m.safetensors, sha256: ${"c".repeat(64)} }]`,
    `launcher: { node: { linux-x64: { url: mirror://files/node-v24.21.0-linux-x64.tar.gz, sha256: ${"d".repeat(64)} } }, cwd: ComfyUI, command: ["{python}", "main.py", "--port", "{port}"], port: 8188, ready: /system_stats }`,
    "verify: { api: comfyui, txt2img: { prompt: a cat } }",
  ];
  await writeFile(file, lines.join("\n") + "\n");
  return file;
}

describe("ComfyUI custom nodes as extensions", () => {
  it("add the requirements the recipe gives a custom node to the wheel set", async () => {
    const dir = await tempDir("gb-custom-nodes-");
    const plan = await makePlan({ loaded: await loadRecipe(await comfyRecipe(dir, ["opencv-python-headless==4.10.0.84"])), platform: "linux-x64" });
    expect(plan.artifacts.find((a) => a.kind === "extension")).toMatchObject({ name: "ComfyUI-Demo-Node", dest: "ComfyUI/custom_nodes/ComfyUI-Demo-Node" });
    expect(plan.artifacts.find((a) => a.id === "wheel:opencv-python-headless")).toMatchObject({ kind: "wheel", version: "4.10.0.84" });
  });

  it("warn, at build time, about what a custom node's requirements.txt needs and the wheel set lacks", async () => {
    const dir = await tempDir("gb-custom-nodes-");
    const plan = await makePlan({ loaded: await loadRecipe(await comfyRecipe(dir, [])), platform: "linux-x64" });
    const root = join(dir, "bundle");
    const node = join(root, "ComfyUI", "custom_nodes", "ComfyUI-Demo-Node");
    await mkdir(node, { recursive: true });
    await writeFile(join(node, "requirements.txt"), "numpy>=1.25\npillow>=11\nonnxruntime-gpu\n");
    const events: BundleEvent[] = [];
    const unmet = await checkExtensionNeeds(root, plan, (e) => events.push(e));
    expect(unmet.map((u) => `${u.extension}: ${u.text} (${u.where}): ${u.reason}`)).toEqual([
      "ComfyUI-Demo-Node: pillow>=11 (requirements.txt:2): the wheel set has 10.4.0",
      "ComfyUI-Demo-Node: onnxruntime-gpu (requirements.txt:3): not in the wheel set",
    ]);
    const warning = events.find((e) => e.type === "warning");
    expect(warning).toMatchObject({ message: expect.stringContaining("extension ComfyUI-Demo-Node declares packages the bundle does not have") });
  });
});
