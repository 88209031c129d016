// The demo's stand-in apps, one per family of app greenbundle verifies: an AUTOMATIC1111-style
// WebUI (src/demo/app/repo/, verify.api a1111), ComfyUI (app/comfy/ with a custom node from
// app/comfy-nodes/, verify.api comfyui) and a script app (app/script/, verify.api command). Each
// has its recipe in recipes/, and the git repositories the demo world serves for it.

export const DEMO_APP_NAMES = ["a1111", "comfyui", "script"] as const;
export type DemoApp = (typeof DEMO_APP_NAMES)[number];

/** Where each repository of the demo world lives on its git server (recipes/demo*.yml use the same paths). */
export const DEMO_REPOS = {
  app: "greenbundle/demo-webui.git",
  extension: "greenbundle/demo-vignette.git",
  comfyui: "greenbundle/demo-comfyui.git",
  comfyNodes: "greenbundle/demo-comfy-nodes.git",
  script: "greenbundle/demo-txt2img.git",
} as const;
export type DemoRepo = keyof typeof DEMO_REPOS;

/** The folders under src/demo/app/ that make each repository (and the shared painter they take along). */
export const REPO_SOURCES: Record<DemoRepo, { folder: "repo" | "extension" | "comfy" | "comfy-nodes" | "script"; painter: boolean }> = {
  app: { folder: "repo", painter: false }, // painter.py is already in it
  extension: { folder: "extension", painter: false },
  comfyui: { folder: "comfy", painter: true },
  comfyNodes: { folder: "comfy-nodes", painter: false },
  script: { folder: "script", painter: true },
};

export interface DemoAppSpec {
  /** The recipe in recipes/ the generated one extends. */
  recipe: string;
  repos: { path: string; repo: DemoRepo }[];
  extensions?: { dir: string; items: { name: string; repo: DemoRepo }[] };
}

export const DEMO_APPS: Record<DemoApp, DemoAppSpec> = {
  a1111: {
    recipe: "demo.yml",
    repos: [{ path: "app", repo: "app" }],
    extensions: { dir: "app/extensions", items: [{ name: "demo-vignette", repo: "extension" }] },
  },
  comfyui: {
    recipe: "demo-comfyui.yml",
    repos: [{ path: "ComfyUI", repo: "comfyui" }],
    extensions: { dir: "ComfyUI/custom_nodes", items: [{ name: "gb-demo-nodes", repo: "comfyNodes" }] },
  },
  script: { recipe: "demo-script.yml", repos: [{ path: "stablediffusion", repo: "script" }] },
};

export function isDemoApp(s: string): s is DemoApp {
  return (DEMO_APP_NAMES as readonly string[]).includes(s);
}
