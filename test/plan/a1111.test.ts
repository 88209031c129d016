// The real A1111 recipe is valid and plans for both platforms without network access.
import { describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { loadRecipe } from "../../src/recipe/load.ts";
import { runCli } from "../helpers/cli.ts";

const RECIPE = "recipes/sd-webui-a1111.yml";

async function plan(platform: string) {
  const r = await runCli(["plan", RECIPE, "--platform", platform, "--json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as {
    platform: string;
    lock: { state: string };
    artifacts: { id: string; kind: string; dest: string; urls: string[]; sha256?: string; commit?: string; tag?: string; text?: string; version?: string; size?: number; locked: boolean }[];
    bundle_json: {
      launcher: { env: Record<string, string>; command: string[]; gpu: { cpu: string[] } };
      gpu?: { cuda: string; min_driver: { win?: string; linux?: string }; archs: string[]; torch?: string };
      verify: { allow_changes: string[] };
    };
  };
}

describe("recipes/sd-webui-a1111.yml", () => {
  it("plans win-x64: runtime, portable git, wheels, six repos, the extension and the checkpoint, with mirrors", async () => {
    const p = await plan("win-x64");
    const kinds = (k: string) => p.artifacts.filter((a) => a.kind === k);
    expect(kinds("python")).toHaveLength(1);
    expect(kinds("git")).toHaveLength(1);
    expect(kinds("repo")).toHaveLength(6);
    expect(kinds("extension")).toHaveLength(1);
    // the candidate closure's 120 pins, and on Windows the MSVC C++ runtime torch needs
    expect(kinds("wheel").length + kinds("sdist").length).toBe(121);
    expect(p.artifacts.find((a) => a.id === "wheel:colorama")).toBeDefined();
    expect(p.artifacts.find((a) => a.id === "wheel:triton")).toBeUndefined();
    const ckpt = p.artifacts.find((a) => a.dest === "webui/models/Stable-diffusion/v1-5-pruned-emaonly.safetensors")!;
    expect(ckpt.sha256).toBe("6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa");
    expect(ckpt.size).toBe(4265146304);
    expect(ckpt.urls[0]).toBe("https://hf-mirror.com/stable-diffusion-v1-5/stable-diffusion-v1-5/resolve/main/v1-5-pruned-emaonly.safetensors");
    // (inline files such as webui/config.json are written, not downloaded: they have no URLs)
    for (const a of p.artifacts.filter((x) => ["python", "git", "repo", "extension", "node"].includes(x.kind) || (x.id.startsWith("file:webui") && x.text === undefined))) {
      expect(a.urls.length, a.id).toBeGreaterThanOrEqual(2);
    }
    for (const a of kinds("wheel")) expect(a.urls.length, a.id).toBeGreaterThanOrEqual(1);
    expect(p.artifacts.find((a) => a.id === "wheel:torch")!.urls).toEqual(["https://download.pytorch.org/whl/cu121/torch/"]);
    expect(p.artifacts.find((a) => a.id === "wheel:numpy")!.urls).toHaveLength(3);
    expect(p.artifacts.find((a) => a.id === "repo:webui")!.commit).toBe("82a973c04367123ae98bd9abdf80d9eda9b910e2");
    expect(p.artifacts.find((a) => a.id === "repo:webui/repositories/stable-diffusion-stability-ai")!.urls[0]).toBe("https://github.com/w-e-w/stablediffusion.git");
    expect(p.artifacts.find((a) => a.id === "node")!.dest).toBe("launcher.exe");
    // unknowable hashes are explicit, not invented: build --locked must wait for `bundle lock`
    expect(p.artifacts.find((a) => a.id === "python")!.locked).toBe(false);
    expect(p.lock.state).toBe("missing");
  });

  it("plans linux-x64 with triton, without colorama and without a portable git", async () => {
    const p = await plan("linux-x64");
    expect(p.artifacts.find((a) => a.id === "wheel:triton")).toBeDefined();
    expect(p.artifacts.find((a) => a.id === "wheel:colorama")).toBeUndefined();
    expect(p.artifacts.find((a) => a.kind === "git")).toBeUndefined();
    expect(p.artifacts.find((a) => a.id === "wheel:numpy")!.dest).toBe("python/lib/python3.10/site-packages");
    expect(p.artifacts.find((a) => a.id === "node")!.dest).toBe("launcher");
  });

  it("prints a readable table without --json", async () => {
    const r = await runCli(["plan", RECIPE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sd-webui-a1111-1\.10\.1-r1-win-x64/);
    expect(r.stdout).toMatch(/^repo\s+webui\s/m);
    expect(r.stdout).toMatch(/run `bundle lock recipes\/sd-webui-a1111\.yml`/);
  });

  describe("as v1.10.1 runs on real machines", () => {
    it("allows exactly what v1.10.1 writes at first start and first generation, each with its reason in the recipe", async () => {
      for (const platform of ["win-x64", "linux-x64"]) {
        const p = await plan(platform);
        expect(p.bundle_json.verify.allow_changes).toEqual([
          "webui/cache/**",
          "webui/ui-config.json",
          "webui/params.txt",
          "python/Lib/site-packages/gradio/launches.json",
          "python/lib/python3.10/site-packages/gradio/launches.json",
          "logs/**",
        ]);
      }
      const text = await readFile(RECIPE, "utf8");
      const block = text.slice(text.indexOf("  allow_changes:"), text.indexOf("package:"));
      // every allowed path has a comment line right above it (or above its group)
      for (const line of block.split("\n").filter((l) => /^\s+- /.test(l))) {
        const before = block.slice(0, block.indexOf(line)).trimEnd().split("\n");
        const comment = before.reverse().find((l) => !/^\s+- /.test(l));
        expect(comment, line).toMatch(/^\s+#/);
      }
    });

    it("gives the app an environment that survives a user's own Hugging Face, git and proxy settings", async () => {
      for (const platform of ["win-x64", "linux-x64"]) {
        const { env } = (await plan(platform)).bundle_json.launcher;
        for (const k of ["HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE", "PYTORCH_TRANSFORMERS_CACHE", "PYTORCH_PRETRAINED_BERT_CACHE"]) expect(env[k], k).toBe("{bundle}/hf/hub");
        expect(env).toMatchObject({ HF_HOME: "{bundle}/hf", HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1", GIT_PYTHON_REFRESH: "quiet", GIT: "{git}", GIT_PYTHON_GIT_EXECUTABLE: "{git}" });
        for (const k of ["NO_PROXY", "no_proxy"]) expect(env[k]!.split(",")).toEqual(expect.arrayContaining(["localhost", "127.0.0.1", "::1"]));
      }
    });

    it("ships the files a first launch would write or miss: hub/version.txt, a starting config.json, the release tag", async () => {
      const p = await plan("win-x64");
      expect(p.artifacts.find((a) => a.dest === "hf/hub/version.txt")).toMatchObject({ text: "1", locked: true });
      const config = p.artifacts.find((a) => a.dest === "webui/config.json")!;
      expect(JSON.parse(config.text!)).toEqual({ auto_launch_browser: "Disable", localization: "zh_CN" });
      expect(p.artifacts.find((a) => a.id === "repo:webui")).toMatchObject({ commit: "82a973c04367123ae98bd9abdf80d9eda9b910e2", tag: "v1.10.1" });
    });

    it("puts the MSVC C++ runtime next to python.exe on Windows only, from a pinned wheel resolved by the lock", async () => {
      const win = await plan("win-x64");
      expect(win.artifacts.find((a) => a.id === "wheel:msvc-runtime")).toMatchObject({ version: "14.32.31326", dest: "python/Lib/site-packages" });
      expect((await plan("linux-x64")).artifacts.find((a) => a.id === "wheel:msvc-runtime")).toBeUndefined();
    });

    it("takes the headless OpenCV (no libGL or glib needed on Linux) and says it stands in for opencv-python", async () => {
      for (const platform of ["win-x64", "linux-x64"]) {
        const p = await plan(platform);
        expect(p.artifacts.find((a) => a.id === "wheel:opencv-python-headless")).toMatchObject({ version: "4.9.0.80" });
        expect(p.artifacts.find((a) => a.id === "wheel:opencv-python")).toBeUndefined();
      }
      const { recipe } = await loadRecipe(RECIPE);
      expect(recipe.wheels!.packages!["opencv-python-headless"]!.provides).toEqual(["opencv-python"]);
    });

    it("records what torch 2.1.2+cu121 needs of the driver and GPU, and keeps the CPU arguments for the doctor", async () => {
      const win = await plan("win-x64");
      expect(win.bundle_json.gpu).toEqual({ cuda: "12.1", min_driver: { win: "528.33", linux: "525.60.13" }, archs: ["sm_50", "sm_60", "sm_61", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"], torch: "2.1.2+cu121" });
      expect((await plan("linux-x64")).bundle_json.gpu!.archs).toEqual(["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"]);
      expect(win.bundle_json.launcher.gpu.cpu).toEqual(expect.arrayContaining(["--use-cpu", "all", "--no-half"]));
    });

    it("says in its docs page what happens to extensions that need packages", async () => {
      const doc = await readFile("docs/a1111.md", "utf8");
      expect(doc).toMatch(/## Extensions that need Python packages/);
      expect(doc).toMatch(/launcher --exec/);
    });
  });
});
