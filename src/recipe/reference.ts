// The recipe reference (docs/recipe-reference.md) generated from the same schema as the JSON
// Schema, so the docs cannot drift from what the validator accepts.

import { PLATFORMS } from "../core/platform.ts";
import { recipeJsonSchema } from "./schema.ts";

type JS = {
  type?: string | string[];
  properties?: Record<string, JS>;
  required?: string[];
  items?: JS;
  additionalProperties?: JS | boolean;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  anyOf?: JS[];
};

function typeOf(s: JS): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if (s.anyOf) return s.anyOf.map(typeOf).join(" \\| ");
  if (s.type === "array") return `list of ${s.items ? typeOf(s.items) : "any"}`;
  if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object" && !s.properties) return `map of ${typeOf(s.additionalProperties)}`;
  return Array.isArray(s.type) ? s.type.join(" \\| ") : (s.type ?? "any");
}

function rows(s: JS, path: string, required: boolean, out: string[][]): void {
  const platformKeys = s.properties ? Object.keys(s.properties).filter((k) => (PLATFORMS as readonly string[]).includes(k)) : [];
  if (path) {
    const def = s.default !== undefined ? `\`${JSON.stringify(s.default)}\`` : "";
    out.push([`\`${path}\``, typeOf(s), required ? "yes" : "", def, (s.description ?? "").replace(/\|/g, "\\|")]);
  }
  if (s.properties) {
    const req = new Set(s.required ?? []);
    for (const [k, v] of Object.entries(s.properties)) {
      if (k === "$schema") continue;
      if (platformKeys.includes(k) && k !== platformKeys[0]) continue;
      const key = platformKeys.includes(k) ? "<platform>" : k;
      rows(v, path ? `${path}.${key}` : key, req.has(k), out);
    }
  } else if (s.type === "array" && s.items?.properties) {
    rows({ ...s.items, description: undefined }, `${path}[]`, false, out);
    out.splice(out.length - Object.keys(s.items.properties).length - 1, 1);
  } else if (s.type === "object" && typeof s.additionalProperties === "object" && s.additionalProperties.properties) {
    rows({ ...s.additionalProperties, description: undefined }, `${path}.<name>`, false, out);
    out.splice(out.length - Object.keys(s.additionalProperties.properties).length - 1, 1);
  }
}

export function recipeReferenceMarkdown(): string {
  const out: string[][] = [];
  rows(recipeJsonSchema() as JS, "", true, out);
  const lines = [
    "# Recipe reference (format v1)",
    "",
    "Generated from `src/recipe/schema.ts` by `npm run schema` — do not edit by hand.",
    "`<platform>` is one of " + PLATFORMS.map((p) => `\`${p}\``).join(", ") + ".",
    "",
    "| key | type | required | default | description |",
    "| --- | --- | --- | --- | --- |",
    ...out.map((r) => `| ${r.join(" | ")} |`),
    "",
    ...EXAMPLES,
  ];
  return lines.join("\n");
}

/** How the keys combine for each family of apps (docs/apps-*.md say more). */
const EXAMPLES = [
  "## Examples by kind of app",
  "",
  "An AUTOMATIC1111-style WebUI (also Forge and SD.Next), with an extension — [apps-a1111.md](apps-a1111.md):",
  "",
  "```yaml",
  "extensions: { dir: webui/extensions, items: [{ url: mirror://github/dtlnor/stable-diffusion-webui-localization-zh_CN.git, commit: <40 hex> }] }",
  'launcher: { cwd: webui, command: ["{python}", "launch.py", "--skip-prepare-environment", "--api", "--port", "{port}"], ready: /sdapi/v1/sd-models }',
  "verify: { api: a1111, txt2img: { prompt: a cute cat, steps: 20, width: 512, height: 512, seed: 42 } }",
  "```",
  "",
  "ComfyUI, whose extensions are custom nodes (each one's `requirements.txt` is checked against the wheel set like an A1111 extension's) — [apps-comfyui.md](apps-comfyui.md):",
  "",
  "```yaml",
  "extensions:",
  "  dir: ComfyUI/custom_nodes",
  "  items:",
  "    - { url: mirror://github/some/ComfyUI-custom-node.git, commit: <40 hex>, requirements: [some-package==1.2.3] }",
  "files:",
  "  - { path: ComfyUI/models/checkpoints/v1-5-pruned-emaonly.safetensors, url: mirror://huggingface/…, sha256: <64 hex> }",
  'launcher: { cwd: ComfyUI, command: ["{python}", "-s", "main.py", "--port", "{port}"], port: 8188, ready: /system_stats }',
  "verify:",
  "  api: comfyui",
  "  txt2img: { prompt: a cute cat, negative_prompt: \"\", steps: 20, width: 512, height: 512, seed: 42, cfg_scale: 7 }",
  "  # checkpoint: v1-5-pruned-emaonly.safetensors   (default: the first one placed under models/checkpoints/)",
  "  # workflow: verify-workflow.json                (default: the standard text-to-image graph)",
  "```",
  "",
  "A script app (no server; `launcher.ready` is not needed) — [apps-scripts.md](apps-scripts.md):",
  "",
  "```yaml",
  'launcher: { cwd: stablediffusion, command: ["{python}", "scripts/txt2img.py", "--ckpt", "checkpoints/v2-1_512-ema-pruned.ckpt"] }',
  "verify:",
  "  api: command",
  "  txt2img: { prompt: a cute cat, steps: 20, width: 512, height: 512, seed: 42 }",
  '  command: ["{python}", "scripts/txt2img.py", "--prompt", "{prompt}", "--seed", "{seed}", "--outdir", "{out}", "--H", "{height}", "--W", "{width}", "--steps", "{steps}"]',
  '  image: "{out}/samples/*.png"',
  "```",
  "",
];
