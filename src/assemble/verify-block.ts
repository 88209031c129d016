// The verify block the builder writes into bundle.json: the recipe's, with what `bundle verify`
// cannot find out later because it never sees the recipe — the ComfyUI checkpoint the recipe
// places (when it names none) and the workflow graph its file holds.

import type { VerifyBlock } from "../contract/bundle-json.ts";
import { PLATFORM_FACTS, type Platform } from "../core/platform.ts";
import type { LoadedRecipe } from "../recipe/load.ts";
import { defaultCheckpoint } from "../recipe/verify-checks.ts";
import { readWorkflow } from "../plan/workflow.ts";

export async function verifyBlockFor(loaded: LoadedRecipe, platform: Platform): Promise<VerifyBlock | undefined> {
  const v = loaded.recipe.verify;
  if (!v) return undefined;
  const block: Record<string, unknown> = { ...v };
  if (v.api === "comfyui") {
    const checkpoint = v.checkpoint ?? defaultCheckpoint(loaded.recipe.files);
    // ComfyUI names checkpoints in subfolders with os.path.relpath (`folder_paths.py` at v0.3.64):
    // with "\" on Windows, and it accepts only a name from that list.
    if (checkpoint !== undefined) block.checkpoint = PLATFORM_FACTS[platform].os === "windows" ? checkpoint.replaceAll("/", "\\") : checkpoint;
    if (v.workflow !== undefined) block.workflow = await readWorkflow(loaded);
  }
  return block as VerifyBlock;
}
