import { createHash } from "node:crypto";
import { chmod, mkdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ManifestEntry } from "../../src/contract/bundle-json.ts";
import { classifyChanges } from "../../src/verify/changes.ts";
import { checkManifest } from "../../src/verify/manifest.ts";
import { checkSums } from "../../src/verify/sums.ts";
import { diffTrees, snapshotTree, type Tree } from "../../src/verify/tree.ts";
import { tempDir } from "../helpers/tmp.ts";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

async function put(root: string, files: Record<string, string>) {
  for (const [p, c] of Object.entries(files)) {
    await mkdir(join(root, p, ".."), { recursive: true });
    await writeFile(join(root, p), c);
  }
}

describe("tree snapshots", () => {
  it("hashes every file, records links and sorts by path", async () => {
    const root = await tempDir("gb-tree-");
    await put(root, { "b.txt": "b", "a/x 整合包.txt": "x", "python/bin/python3.11": "elf" });
    await symlink("python3.11", join(root, "python/bin/python3"));
    await mkdir(join(root, "empty"));
    const t = await snapshotTree(root);
    expect([...t.keys()]).toEqual(["a/x 整合包.txt", "b.txt", "python/bin/python3", "python/bin/python3.11"]);
    expect(t.get("b.txt")!.sha256).toBe(sha("b"));
    expect(t.get("python/bin/python3")).toMatchObject({ kind: "link", target: "python3.11" });
  });

  it("re-hashes only files whose stat data changed", async () => {
    const root = await tempDir("gb-tree-");
    await put(root, { "same.txt": "same", "touched.txt": "old" });
    const before = await snapshotTree(root);
    // a planted digest survives only if the file is not read again
    const planted: Tree = new Map([...before].map(([k, v]) => [k, { ...v, sha256: k === "same.txt" ? "planted" : v.sha256! }]));
    await writeFile(join(root, "touched.txt"), "new");
    const after = await snapshotTree(root, { previous: planted });
    expect(after.get("same.txt")!.sha256).toBe("planted");
    expect(after.get("touched.txt")!.sha256).toBe(sha("new"));
  });

  it("finds added, changed and removed files, and a lost executable bit", async () => {
    const root = await tempDir("gb-tree-");
    await put(root, { keep: "k", change: "1", remove: "r", "tool.sh": "#!/bin/sh" });
    await chmod(join(root, "tool.sh"), 0o755);
    const before = await snapshotTree(root);
    await put(root, { change: "2", "new/file": "n" });
    await rm(join(root, "remove"));
    await chmod(join(root, "tool.sh"), 0o644);
    const d = diffTrees(before, await snapshotTree(root));
    expect(d).toEqual({ added: ["new/file"], changed: ["change", "tool.sh"], removed: ["remove"] });
  });

  it("does not count a file rewritten with the same bytes as changed", async () => {
    const root = await tempDir("gb-tree-");
    await put(root, { "cfg.json": "{}" });
    const before = await snapshotTree(root);
    await writeFile(join(root, "cfg.json"), "{}");
    await utimes(join(root, "cfg.json"), new Date(), new Date(Date.now() + 5000));
    expect(diffTrees(before, await snapshotTree(root, { previous: before })).changed).toEqual([]);
  });
});

describe("classifying what a first launch changed", () => {
  const rules = {
    protected: [
      { path: "python", label: "the Python runtime" },
      { path: "python/lib/python3.11/site-packages", label: "site-packages" },
      { path: "webui", label: "repository webui" },
      { path: "webui/repositories/k-diffusion", label: "repository webui/repositories/k-diffusion" },
    ],
    repos: ["webui", "webui/repositories/k-diffusion"],
    shipped: new Set(["hf/hub/x.json", "webui/launch.py", "README.txt"]),
    allow: ["webui/config.json", "webui/outputs/**", "logs/**"],
  };

  it("fails what was installed into site-packages and names the most specific area", () => {
    const c = classifyChanges({ added: ["python/lib/python3.11/site-packages/six.py", "python/bin/pip-tool"], changed: [], removed: [] }, rules);
    expect(c.violations).toEqual([
      { path: "python/bin/pip-tool", change: "added", where: "the Python runtime" },
      { path: "python/lib/python3.11/site-packages/six.py", change: "added", where: "site-packages" },
    ]);
  });

  it("fails changed tracked files and new files in repositories, nested ones included", () => {
    const c = classifyChanges({ added: ["webui/repositories/k-diffusion/new.py"], changed: ["webui/launch.py"], removed: [] }, rules);
    expect(c.violations.map((v) => `${v.change} ${v.path}: ${v.where}`)).toEqual(["changed webui/launch.py: repository webui", "added webui/repositories/k-diffusion/new.py: repository webui/repositories/k-diffusion"]);
  });

  it("allows what the recipe lists, and only reports new bytecode", () => {
    const c = classifyChanges(
      {
        added: ["webui/config.json", "webui/outputs/txt2img/0001.png", "logs/launcher-1.log", "webui/modules/__pycache__/x.cpython-310.pyc", "python/lib/python3.11/site-packages/a/__pycache__/b.pyc"],
        changed: [],
        removed: [],
      },
      rules,
    );
    expect(c.violations).toEqual([]);
    expect(c.allowed.map((e) => e.path)).toEqual(["logs/launcher-1.log", "webui/config.json", "webui/outputs/txt2img/0001.png"]);
    expect(c.pycache).toHaveLength(2);
  });

  it("reports git's own bookkeeping but fails a moved HEAD", () => {
    const c = classifyChanges({ added: [], changed: ["webui/.git/index", "webui/.git/HEAD"], removed: [] }, rules);
    expect(c.other).toEqual([{ path: "webui/.git/index", change: "changed", where: "git metadata of webui" }]);
    expect(c.violations[0]!.where).toMatch(/HEAD moved/);
  });

  it("fails a changed or removed shipped file outside the protected areas, and only reports new unlisted files there", () => {
    const c = classifyChanges({ added: ["hf/hub/new.bin"], changed: ["hf/hub/x.json"], removed: ["README.txt"] }, rules);
    expect(c.violations.map((v) => v.path)).toEqual(["README.txt", "hf/hub/x.json"]);
    expect(c.other.map((v) => v.path)).toEqual(["hf/hub/new.bin"]);
  });
});

describe("the bundle.json manifest against the unpacked tree", () => {
  async function setup() {
    const root = await tempDir("gb-man-");
    await put(root, { "app/a.py": "print(1)", "launcher": "bin", "bundle.json": "{}" });
    await chmod(join(root, "launcher"), 0o755);
    await symlink("a.py", join(root, "app/link.py"));
    const files: ManifestEntry[] = [
      { path: "app/a.py", size: 8, sha256: sha("print(1)") },
      { path: "app/link.py", size: 8, sha256: sha("print(1)"), link: "a.py" },
      { path: "launcher", size: 3, sha256: sha("bin"), exec: true },
    ];
    return { root, files };
  }

  it("passes when every file is there with its size, sha256, link and executable bit", async () => {
    const { root, files } = await setup();
    expect(checkManifest(files, await snapshotTree(root), { checkExec: true })).toMatchObject({ ok: true, files: 3, bytes: 19, problems: [] });
  });

  it("names missing, changed, unlisted and no-longer-executable files", async () => {
    const { root, files } = await setup();
    await writeFile(join(root, "app/a.py"), "print(2)");
    await chmod(join(root, "launcher"), 0o644);
    await writeFile(join(root, "stray.txt"), "?");
    const r = checkManifest([...files, { path: "gone.bin", size: 1, sha256: sha("g") }], await snapshotTree(root), { checkExec: true });
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => `${p.path} ${p.problem}`)).toEqual(["app/a.py sha256", "app/link.py sha256", "launcher not executable", "gone.bin missing", "stray.txt unlisted"]);
    expect(checkManifest(files, await snapshotTree(root), { checkExec: false }).problems.map((p) => p.problem)).not.toContain("not executable");
  });
});

describe("SHA256SUMS", () => {
  const text = `${sha("a")}  demo-1.0-linux-x64.zip\n${sha("b")} *./other.tar.gz\n\nnot a line\n`;

  it("says whether the archive matches, differs or is not listed", () => {
    expect(checkSums(text, "demo-1.0-linux-x64.zip", sha("a"))).toEqual({ state: "match" });
    expect(checkSums(text, "other.tar.gz", sha("b").toUpperCase())).toEqual({ state: "match" });
    expect(checkSums(text, "demo-1.0-linux-x64.zip", sha("x"))).toEqual({ state: "mismatch", expected: sha("a") });
    expect(checkSums(text, "missing.zip", sha("a"))).toEqual({ state: "not-listed", listed: ["demo-1.0-linux-x64.zip", "./other.tar.gz"] });
  });
});
