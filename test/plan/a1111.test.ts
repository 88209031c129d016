// The real A1111 recipe is valid and plans for both platforms without network access.
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.ts";

const RECIPE = "recipes/sd-webui-a1111.yml";

async function plan(platform: string) {
  const r = await runCli(["plan", RECIPE, "--platform", platform, "--json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as {
    platform: string;
    lock: { state: string };
    artifacts: { id: string; kind: string; dest: string; urls: string[]; sha256?: string; commit?: string; size?: number; locked: boolean }[];
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
    expect(kinds("wheel").length + kinds("sdist").length).toBe(120);
    expect(p.artifacts.find((a) => a.id === "wheel:colorama")).toBeDefined();
    expect(p.artifacts.find((a) => a.id === "wheel:triton")).toBeUndefined();
    const ckpt = p.artifacts.find((a) => a.dest === "webui/models/Stable-diffusion/v1-5-pruned-emaonly.safetensors")!;
    expect(ckpt.sha256).toBe("6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa");
    expect(ckpt.size).toBe(4265146304);
    expect(ckpt.urls[0]).toBe("https://hf-mirror.com/stable-diffusion-v1-5/stable-diffusion-v1-5/resolve/main/v1-5-pruned-emaonly.safetensors");
    for (const a of p.artifacts.filter((x) => ["python", "git", "repo", "extension", "node"].includes(x.kind) || x.id.startsWith("file:webui"))) {
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
});
