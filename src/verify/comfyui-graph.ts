// The graph `verify.api: comfyui` sends: ComfyUI's standard text-to-image graph, or the recipe's
// workflow with its placeholders filled. API format: {"<node id>": {"class_type", "inputs"}},
// an input linked to another node's output written [<node id>, <output index>] (ComfyUI
// `execution.py` at v0.3.64). Node classes and input names are those of ComfyUI `nodes.py` at
// v0.3.64: CheckpointLoaderSimple → MODEL, CLIP, VAE; CLIPTextEncode → CONDITIONING;
// EmptyLatentImage → LATENT; KSampler → LATENT; VAEDecode → IMAGE; SaveImage (an output node).

export type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

export interface GraphValues {
  prompt: string;
  negative_prompt: string;
  seed: number;
  steps: number;
  width: number;
  height: number;
  cfg_scale: number;
  sampler_name: string;
  checkpoint: string;
}

/** What SaveImage names the file: `<prefix>_00001_.png` in ComfyUI's output folder. */
export const FILENAME_PREFIX = "greenbundle-verify";

/** The default test generation's settings (A1111's cfg_scale default, ComfyUI's euler sampler). */
export function graphValues(txt2img: Record<string, unknown> | undefined, checkpoint: string): GraphValues {
  const t = txt2img ?? {};
  const num = (k: string, d: number) => (typeof t[k] === "number" ? (t[k] as number) : d);
  const str = (k: string, d: string) => (typeof t[k] === "string" ? (t[k] as string) : d);
  return {
    prompt: str("prompt", "a cute cat"),
    negative_prompt: str("negative_prompt", ""),
    seed: num("seed", 42),
    steps: num("steps", 20),
    width: num("width", 512),
    height: num("height", 512),
    cfg_scale: num("cfg_scale", 7),
    sampler_name: str("sampler_name", "euler"),
    checkpoint,
  };
}

/** ComfyUI's default graph (the node ids its own default workflow uses), one image. */
export function standardGraph(v: GraphValues): Graph {
  return {
    "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: v.checkpoint } },
    "6": { class_type: "CLIPTextEncode", inputs: { text: v.prompt, clip: ["4", 1] } },
    "7": { class_type: "CLIPTextEncode", inputs: { text: v.negative_prompt, clip: ["4", 1] } },
    "5": { class_type: "EmptyLatentImage", inputs: { width: v.width, height: v.height, batch_size: 1 } },
    "3": {
      class_type: "KSampler",
      inputs: { seed: v.seed, steps: v.steps, cfg: v.cfg_scale, sampler_name: v.sampler_name, scheduler: "normal", denoise: 1, model: ["4", 0], positive: ["6", 0], negative: ["7", 0], latent_image: ["5", 0] },
    },
    "8": { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["4", 2] } },
    "9": { class_type: "SaveImage", inputs: { filename_prefix: FILENAME_PREFIX, images: ["8", 0] } },
  };
}

const ONE = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const ANY = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * A workflow with its placeholders filled, in string values only (never in keys or links): a
 * string that is exactly one placeholder of a number becomes that number, so "{seed}" can stand
 * where ComfyUI wants an INT; elsewhere the value is written into the text. Unknown names stay.
 */
export function fillGraph(value: unknown, v: GraphValues): unknown {
  const known = v as unknown as Record<string, unknown>;
  if (typeof value === "string") {
    const one = ONE.exec(value);
    if (one && typeof known[one[1]!] === "number") return known[one[1]!];
    return value.replace(ANY, (whole, k: string) => (Object.hasOwn(known, k) ? String(known[k]) : whole));
  }
  if (Array.isArray(value)) return value.map((x) => fillGraph(x, v));
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, fillGraph(x, v)]));
  return value;
}

/** Whether a workflow sets the image size from the test generation (then the PNG must have it). */
export function usesSize(workflow: unknown): boolean {
  const text = JSON.stringify(workflow);
  return text.includes('"{width}"') && text.includes('"{height}"');
}
