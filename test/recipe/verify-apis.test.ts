// The verify block of a recipe for each kind of app: the keys each verify.api reads, a script
// app without launcher.ready, the placeholders of verify.command and verify.image, and the ComfyUI
// workflow file, checked at plan time at its own file:line:column. Then what the builder writes
// into bundle.json's verify block (the checkpoint, the workflow's graph).
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyBlockFor } from "../../src/assemble/verify-block.ts";
import { parseWorkflow } from "../../src/plan/workflow.ts";
import { loadRecipe } from "../../src/recipe/load.ts";
import { defaultCheckpoint } from "../../src/recipe/verify-checks.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { BASE } from "./base-recipe.ts";

let dir: string;
beforeAll(async () => {
  dir = await tempDir("gb-verify-keys-");
});

async function recipe(name: string, lines: string[]): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, lines.join("\n") + "\n");
  return file;
}

/** BASE (whose launcher.ready is its line 27) with that line replaced and a verify block added. */
const withVerify = (ready: string | null, verify: string[]) => [...BASE.slice(0, 26), ...(ready === null ? [] : [`  ready: ${ready}`]), "verify:", ...verify];
const COMFY_FILES = ["  - path: app/models/checkpoints/sd15/demo.safetensors", "    url: mirror://files/demo.safetensors", `    sha256: ${"ab".repeat(32)}`];
const comfy = (verify: string[], files: string[] = COMFY_FILES) => [...BASE.slice(0, 21), ...files, ...BASE.slice(21), "verify:", "  api: comfyui", "  txt2img: { prompt: a cute cat, steps: 8, width: 96, height: 64, seed: 7 }", ...verify];

describe("the verify block of a recipe", () => {
  it("lets a script app (verify.api command) go without launcher.ready", async () => {
    const file = await recipe("script.yml", withVerify(null, ["  api: command", "  txt2img: { prompt: p }", '  command: ["{python}", "x.py", "--outdir", "{out}", "--seed", "{seed}"]', '  image: "{out}/samples/*.png"']));
    const r = await runCli(["plan", file, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("still needs launcher.ready for an app verify talks to as a server", async () => {
    const file = await recipe("no-ready.yml", withVerify(null, ["  api: a1111", "  txt2img: { prompt: p }"]));
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:22:1: error: launcher.ready is missing: verify.api a1111 waits for the app's server on this URL path (at launcher)`);
  });

  it("names unknown placeholders in verify.command and verify.image, a missing command or image, and keys another API reads", async () => {
    const file = await recipe("bad-command.yml", withVerify(null, ["  api: command", "  txt2img: { prompt: p }", '  command: ["{python}", "x.py", "--outdir", "{outdir}"]', '  image: "../{out}/*.png"', "  checkpoint: x.ckpt"]));
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:30:45: error: unknown placeholder {outdir} (at verify.command[3])`);
    expect(r.stderr).toContain("hint: known: {bundle} {python} {git} {port} {prompt} {seed} {steps} {width} {height} {out}");
    expect(r.stderr).toContain(`${file}:31:10: error: verify.image: path contains '..' and could leave the bundle`);
    expect(r.stderr).toContain(`${file}:32:3: error: verify.checkpoint is read only by verify.api comfyui (this recipe says command)`);
    const missing = await recipe("no-command.yml", withVerify(null, ["  api: command", "  txt2img: { prompt: p }"]));
    const m = await runCli(["plan", missing]);
    expect(m.stderr).toContain("verify.api command needs verify.command");
    expect(m.stderr).toContain("verify.api command needs verify.image");
  });

  it("needs a checkpoint for ComfyUI's graph: verify.checkpoint, or one the recipe places under models/checkpoints/", async () => {
    expect((await runCli(["plan", await recipe("comfy.yml", comfy([]))])).code).toBe(0);
    const none = await recipe("comfy-none.yml", comfy([], []));
    const r = await runCli(["plan", none]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("verify.api comfyui needs a checkpoint for its text-to-image graph");
    expect((await runCli(["plan", await recipe("comfy-named.yml", comfy(["  checkpoint: other.ckpt"], []))])).code).toBe(0);
    expect(defaultCheckpoint([{ path: "x/models/loras/a.safetensors" }, { path: "ComfyUI/models/checkpoints/a/b.ckpt" }, { path: "models/checkpoints/c.safetensors" }])).toBe("a/b.ckpt");
    expect(defaultCheckpoint([{ path: "models/checkpoints/readme.txt" }])).toBeUndefined();
  });
});

describe("a ComfyUI workflow file", () => {
  const GOOD = `{
  "4": { "class_type": "CheckpointLoaderSimple", "inputs": { "ckpt_name": "{checkpoint}" } },
  "5": { "class_type": "EmptyLatentImage", "inputs": { "width": "{width}", "height": "{height}", "batch_size": 1 } },
  "9": { "class_type": "SaveImage", "inputs": { "images": ["5", 0], "filename_prefix": "x" } }
}
`;

  it("is read at plan time and its graph goes into bundle.json, with the checkpoint as ComfyUI names it on the target", async () => {
    await writeFile(join(dir, "wf.json"), GOOD);
    const file = await recipe("comfy-wf.yml", comfy(["  workflow: wf.json"]));
    expect((await runCli(["plan", file])).code).toBe(0);
    const loaded = await loadRecipe(file);
    const linux = await verifyBlockFor(loaded, "linux-x64");
    expect(linux).toMatchObject({ api: "comfyui", checkpoint: "sd15/demo.safetensors", workflow: JSON.parse(GOOD) });
    expect((await verifyBlockFor(loaded, "win-x64"))!.checkpoint).toBe("sd15\\demo.safetensors");
    const plain = await verifyBlockFor(await loadRecipe(await recipe("comfy-plain.yml", comfy([]))), "linux-x64");
    expect(plain!.workflow).toBeUndefined();
  });

  it("is a recipe error at the workflow's own line and column: JSON syntax, an unknown placeholder, a link to a node it lacks", async () => {
    await writeFile(join(dir, "broken.json"), '{\n  "4": { "class_type": "X", "inputs": {} },\n}\n');
    const r = await runCli(["plan", await recipe("comfy-broken.yml", comfy(["  workflow: broken.json"]))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.json:3:1: error: not valid JSON: /);
    const bad = GOOD.replace('"{height}"', '"{heigth}"').replace('["5", 0]', '["8", 0]');
    await writeFile(join(dir, "bad.json"), bad);
    const b = await runCli(["plan", await recipe("comfy-bad.yml", comfy(["  workflow: bad.json"]))]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("bad.json:3:86: error: unknown placeholder {heigth} (at 5.inputs.height)");
    expect(b.stderr).toContain(`did you mean "height"?`);
    expect(b.stderr).toContain("bad.json:4:59: error: input images of node 9 links to node 8, which the workflow does not have (at 9.inputs.images)");
    const missing = await runCli(["plan", await recipe("comfy-missing.yml", comfy(["  workflow: nope.json"]))]);
    expect(missing.stderr).toMatch(/comfy-missing\.yml:\d+:13: error: .*nope\.json does not exist or is not a file \(at verify\.workflow\)/);
  });

  it("must be the API format, not the UI's saved workflow", () => {
    const ui = parseWorkflow(JSON.stringify({ last_node_id: 9, nodes: [{ id: 4, type: "CheckpointLoaderSimple" }], links: [] }), "ui.json");
    expect(ui.diagnostics[0]).toMatchObject({ line: 1, col: 1, message: expect.stringContaining("UI format") });
    expect(parseWorkflow('{"1": {"inputs": {}}}', "w.json").diagnostics[0]!.message).toBe("node 1 has no class_type");
    expect(parseWorkflow("[]", "w.json").diagnostics[0]!.message).toMatch(/a workflow is a JSON object of nodes/);
    expect(parseWorkflow('{"1": {"class_type": "X", "inputs": {"a": [1, 2, 3]}}}', "w.json").diagnostics[0]!.message).toMatch(/is a list but not a link/);
    expect(parseWorkflow("\uFEFF" + GOOD, "w.json").diagnostics).toEqual([]);
  });
});
