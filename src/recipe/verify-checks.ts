// Whole-recipe checks of the verify block: which keys each `verify.api` reads, the placeholders
// of `verify.command` and `verify.image`, and what the API needs from the rest of the recipe (a
// server's ready path, a ComfyUI checkpoint). Pure, on the raw value like validate.ts: each check
// reads only values of the shape it expects and leaves wrong shapes to the schema's messages.

import { didYouMean } from "../core/suggest.ts";
import type { KeyPath } from "./yaml-source.ts";
import { badRelPath } from "./schema.ts";

/** Placeholders of launcher strings (the launcher fills them at run time). */
export const LAUNCHER_PLACEHOLDERS = ["bundle", "python", "git", "port"] as const;
/** What `verify.command` may hold besides the launcher's: the test generation and verify's output folder. */
export const COMMAND_PLACEHOLDERS = [...LAUNCHER_PLACEHOLDERS, "prompt", "seed", "steps", "width", "height", "out"] as const;
/** What string values of a ComfyUI workflow may hold: the keys of verify.txt2img and the checkpoint. */
export const WORKFLOW_PLACEHOLDERS = ["prompt", "negative_prompt", "seed", "steps", "width", "height", "cfg_scale", "sampler_name", "checkpoint"] as const;

/** Keys of the verify block that only one API reads. */
const OWN_KEYS: Record<string, string> = { checkpoint: "comfyui", workflow: "comfyui", command: "command", image: "command" };

/** ComfyUI's checkpoints folder, wherever the app sits in the bundle (ComfyUI `folder_paths.py` at v0.3.64). */
const CHECKPOINT = /(?:^|\/)models\/checkpoints\/(.+\.(?:safetensors|ckpt))$/;

/**
 * The ckpt_name ComfyUI gives the first `*.safetensors`/`*.ckpt` the recipe places under a
 * `models/checkpoints/` folder: its path relative to that folder ('/'-separated; a Windows
 * build turns it into ComfyUI's `\`, as its os.path.relpath does there).
 */
export function defaultCheckpoint(files: readonly unknown[]): string | undefined {
  for (const f of files) {
    const path = (f as { path?: unknown } | null)?.path;
    const m = typeof path === "string" ? CHECKPOINT.exec(path) : null;
    if (m) return m[1];
  }
  return undefined;
}

type Obj = Record<string, unknown>;
type Add = (path: KeyPath, message: string, hint?: string, preferKey?: boolean) => void;
const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});

function placeholders(s: string, known: readonly string[], path: KeyPath, add: Add): void {
  for (const m of s.matchAll(/\{([^{}]*)\}/g)) {
    if (!known.includes(m[1]!)) add(path, `unknown placeholder {${m[1]}}`, didYouMean(m[1]!, known) ?? `known: ${known.map((x) => `{${x}}`).join(" ")}`);
  }
}

export function verifyChecks(r: Obj, add: Add): void {
  const v = obj(r.verify);
  const api = typeof v.api === "string" ? v.api : "a1111";
  const launcher = obj(r.launcher);
  if (api !== "command" && r.launcher !== undefined && launcher.ready === undefined) {
    add(["launcher"], `launcher.ready is missing: verify.api ${api} waits for the app's server on this URL path`, "add ready: /… (the path that answers 200 once the app is up), or verify.api: command for a script app", true);
  }
  if (r.verify === undefined) return;
  for (const [key, owner] of Object.entries(OWN_KEYS)) {
    if (v[key] !== undefined && owner !== api) add(["verify", key], `verify.${key} is read only by verify.api ${owner} (this recipe says ${api})`, `remove it, or set verify.api: ${owner}`, true);
  }
  if (api === "command") commandChecks(v, add);
  if (api === "comfyui" && v.checkpoint === undefined && v.workflow === undefined && defaultCheckpoint(Array.isArray(r.files) ? r.files : []) === undefined) {
    add(["verify", "api"], "verify.api comfyui needs a checkpoint for its text-to-image graph, and the recipe places none under a models/checkpoints/ folder", "set verify.checkpoint (relative to models/checkpoints/), or place a *.safetensors/*.ckpt file there");
  }
}

function commandChecks(v: Obj, add: Add): void {
  if (v.command === undefined) add(["verify", "api"], "verify.api command needs verify.command: the script verify runs through `launcher --exec --`", 'add command: ["{python}", "scripts/txt2img.py", "--prompt", "{prompt}", "--outdir", "{out}", …]');
  if (v.image === undefined) add(["verify", "api"], "verify.api command needs verify.image: the glob of the PNG the command writes", 'add image: "{out}/**/*.png"');
  if (Array.isArray(v.command)) v.command.forEach((c, i) => typeof c === "string" && placeholders(c, COMMAND_PLACEHOLDERS, ["verify", "command", i], add));
  if (typeof v.image === "string") {
    placeholders(v.image, ["out"], ["verify", "image"], add);
    // {out} stands for a folder inside the bundle: with it replaced, the glob is a relative path.
    const why = badRelPath(v.image.replaceAll("{out}", "out"));
    if (why) add(["verify", "image"], `verify.image: ${why.replace("(got ", `(in ${JSON.stringify(v.image)}, got `)}`, "write a glob relative to the bundle root, e.g. {out}/samples/*.png");
  }
}
