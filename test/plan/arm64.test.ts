// `bundle plan --platform linux-arm64` from data alone, with the URLs maintainers write: a
// python-build-standalone aarch64 install_only archive and nodejs.org's linux-arm64 tarball,
// through their mirror lists. No network.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const H = (c: string) => c.repeat(64);
const RECIPE = `recipe: 1
name: arm-app
version: 1.0.0
platforms: [linux-x64, linux-arm64]
mirrors:
  pbs: [https://registry.npmmirror.com/-/binary/python-build-standalone, https://github.com/astral-sh/python-build-standalone/releases/download]
  node: [https://registry.npmmirror.com/-/binary/node, https://nodejs.org/dist]
  github: [https://github.com]
python:
  version: 3.10.13
  linux-x64: { url: mirror://pbs/20240107/cpython-3.10.13%2B20240107-x86_64-unknown-linux-gnu-install_only.tar.gz, sha256: ${H("a")} }
  linux-arm64: { url: mirror://pbs/20240107/cpython-3.10.13%2B20240107-aarch64-unknown-linux-gnu-install_only.tar.gz, sha256: ${H("b")} }
repos:
  - path: app
    url: mirror://github/org/app.git
    commit: ${"c".repeat(40)}
launcher:
  node:
    linux-x64: { url: mirror://node/v24.21.0/node-v24.21.0-linux-x64.tar.gz, sha256: ${H("d")} }
    linux-arm64: { url: mirror://node/v24.21.0/node-v24.21.0-linux-arm64.tar.gz, sha256: ${H("e")} }
  command: ["{python}", "app/main.py"]
  ready: /
`;

type PlanJson = { platform: string; bundle: string; artifacts: { id: string; kind: string; dest?: string; urls: string[]; sha256?: string; version?: string }[] };

describe("a linux-arm64 recipe", () => {
  it("plans the aarch64 runtime, the arm64 Node and the repository, with no portable git and no lock needed", async () => {
    const dir = await tempDir("gb-plan-arm64-");
    const file = join(dir, "arm.yml");
    await writeFile(file, RECIPE);
    const r = await runCli(["plan", file, "--platform", "linux-arm64", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout) as PlanJson;
    expect(p.bundle).toBe("arm-app-1.0.0-linux-arm64");
    const byId = new Map(p.artifacts.map((a) => [a.id, a]));
    expect(byId.get("python")).toMatchObject({ kind: "python", dest: "python", version: "3.10.13", sha256: H("b") });
    expect(byId.get("python")!.urls).toEqual([
      "https://registry.npmmirror.com/-/binary/python-build-standalone/20240107/cpython-3.10.13%2B20240107-aarch64-unknown-linux-gnu-install_only.tar.gz",
      "https://github.com/astral-sh/python-build-standalone/releases/download/20240107/cpython-3.10.13%2B20240107-aarch64-unknown-linux-gnu-install_only.tar.gz",
    ]);
    expect(byId.get("node")).toMatchObject({ kind: "node", dest: "launcher", version: "24.21.0", sha256: H("e") });
    expect(byId.get("node")!.urls[1]).toBe("https://nodejs.org/dist/v24.21.0/node-v24.21.0-linux-arm64.tar.gz");
    expect(byId.get("repo:app")).toMatchObject({ kind: "repo", dest: "app" });
    expect(p.artifacts.some((a) => a.kind === "git")).toBe(false);
  });

  it("is refused by --platform when the recipe does not list it, naming the recipe's platforms", async () => {
    const dir = await tempDir("gb-plan-arm64-");
    const file = join(dir, "x64.yml");
    await writeFile(file, RECIPE.replace("platforms: [linux-x64, linux-arm64]", "platforms: [linux-x64]"));
    const r = await runCli(["plan", file, "--platform", "linux-arm64"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("platform linux-arm64 is not one of this recipe's platforms (linux-x64)");
  });
});
