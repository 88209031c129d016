// A loopback world for build tests: two git mirrors (git http-backend), a file server with
// Hugging-Face-style URLs, a relocatable Python runtime made from the host's Python, a generated
// wheel with its lock, and a recipe that uses all of it.

import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createFixtureRepo, startGitServer, type GitServer } from "../../src/demo/git-server.ts";
import { startFileServer, type FileServer } from "../../src/demo/http-server.ts";
import { makeEmbeddableStub, makeRuntime } from "../../src/demo/runtime.ts";
import { makeWheel } from "../../src/demo/wheels.ts";
import type { LockFile } from "../../src/python/lockfile.ts";

export interface World {
  dir: string;
  recipe: string;
  /** The same world for win-x64 (embeddable Python stand-in, a MinGit stand-in). */
  winRecipe: string;
  /** win-x64 with a repository whose files cannot exist on Windows. */
  winBadRecipe: string;
  m1: GitServer;
  m2: GitServer;
  files: FileServer;
  commits: { app: string; appTip: string; helper: string; ext: string; bad: string };
  model: { sha256: string; size: number };
  pythonVersion: string;
  /** Downloads of files and git fetches so far. */
  downloads(): number;
  close(): Promise<void>;
}

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

async function repos(dir: string) {
  const m1 = join(dir, "git1");
  const m2 = join(dir, "git2");
  const [app, appTip] = await createFixtureRepo(m1, "org/app.git", [
    { message: "app v1", files: { "app.py": "print('app v1')\n", "LICENSE": "MIT License\n\nPermission is hereby granted, free of charge, to any person\n", "run.sh": "#!/bin/sh\nexec python3 app.py\n", "models/README.md": "models go here\n" }, exec: ["run.sh"] },
    { message: "app v2", files: { "app.py": "print('app v2')\n" } },
  ]);
  // Only the second mirror has this one.
  const [helper] = await createFixtureRepo(m2, "org/helper.git", [{ message: "helper", files: { "helper.py": "X = 1\n", "LICENSE.txt": "Apache License\n  Version 2.0, January 2004\n" } }]);
  const longName = `${"deep-folder-name/".repeat(12)}file.txt`;
  const [bad] = await createFixtureRepo(m1, "org/bad.git", [{ message: "bad names", files: { "README.md": "a\n", "Readme.md": "b\n", "aux.txt": "c\n", [longName]: "d\n" } }]);
  const [ext] = await createFixtureRepo(m1, "org/ext-demo.git", [
    {
      message: "ext",
      files: {
        "scripts/ext.py": "print('ext')\n",
        "requirements.txt": "demo-pkg>=1.0\nmissing-pkg==2.0\n",
        "install.py": 'import launch\nif not launch.is_installed("another-missing"):\n    launch.run_pip("install another-missing", "x")\n',
      },
    },
  ]);
  return { m1, m2, commits: { app: app!, appTip: appTip!, helper: helper!, ext: ext!, bad: bad! } };
}

export interface WorldOptions {
  /** A real nodejs.org-layout archive for launcher.node (linux-x64); default: a stub (launcher off). */
  nodeArchive?: Buffer;
  /** The same for win-x64 (the win recipe's launcher.node); default: the linux one or the stub. */
  winNodeArchive?: Buffer;
  /** The Node version in the launcher.node URLs (default 24.21.0). */
  nodeVersion?: string;
}

export async function makeWorld(dir: string, opts: WorldOptions = {}): Promise<World> {
  const g = await repos(dir);
  const runtime = await makeRuntime({ out: join(dir, "runtime", "python.tar.gz") });
  const runtimeBytes = await readFile(runtime.path);
  const wheel = await makeWheel({ name: "demo-pkg", version: "1.0", files: { "demo_pkg/__init__.py": "VALUE = 42\n" }, license: "MIT" });
  const model = Buffer.alloc(300_000, 7);
  const embed = await makeEmbeddableStub("3.10.6", join(dir, "runtime", "python-3.10.6-embed-amd64.zip"));
  const mingit = await zipOf({ "cmd/git.exe": "MZ stand-in git", "mingw64/bin/git.exe": "MZ", "LICENSE.txt": "GNU GENERAL PUBLIC LICENSE\n Version 2, June 1991\n", "etc/gitconfig": "[core]\n" });
  const nodeStub = opts.nodeArchive ?? Buffer.from("not a real node archive: the launcher stage is off in these tests\n");
  const winNode = opts.winNodeArchive ?? nodeStub;
  const nodeVersion = opts.nodeVersion ?? "24.21.0";
  const files = await startFileServer({
    linked: true,
    files: {
      "/python/python.tar.gz": runtimeBytes,
      ["/simple/demo-pkg/" + wheel.filename]: wheel.data,
      // The project page (PEP 503), so that a build can re-resolve a stale lock against this index.
      "/simple/demo-pkg/": Buffer.from(`<a href="${wheel.filename}#sha256=${wheel.sha256}">${wheel.filename}</a>\n`),
      "/hf/org/model/resolve/main/model.bin": model,
      [`/node/v${nodeVersion}/node-v${nodeVersion}-linux-x64.tar.gz`]: nodeStub,
      [`/node/v${nodeVersion}/node-v${nodeVersion}-win-x64.zip`]: winNode,
      "/python/python-3.10.6-embed-amd64.zip": await readFile(embed.path),
      "/git-for-windows/MinGit-2.48.1-64-bit.zip": mingit,
    },
  });
  const m1 = await startGitServer({ root: g.m1 });
  const m2 = await startGitServer({ root: g.m2 });
  const lock: LockFile = {
    lock: 1,
    recipe: "world.yml",
    python: runtime.version,
    platforms: {
      "linux-x64": {
        artifacts: {},
        wheels: [{ name: "demo-pkg", version: "1.0", filename: wheel.filename, sha256: wheel.sha256, size: wheel.size, index: "pypi", path: wheel.filename }],
      },
    },
  };
  await mkdir(join(dir, "recipe"), { recursive: true });
  await writeFile(join(dir, "recipe", "world.lock.json"), JSON.stringify(lock, null, 2));
  await writeFile(join(dir, "recipe", "world.requirements.txt"), "demo-pkg==1.0\n");
  const winLock: LockFile = { ...lock, python: "3.10.6", platforms: { "win-x64": lock.platforms["linux-x64"]! } };
  await writeFile(join(dir, "recipe", "win.lock.json"), JSON.stringify(winLock, null, 2));
  const inputs: RecipeInputs = { m1, m2, files, runtimeSha: runtime.sha256, pythonVersion: runtime.version, model: sha(model), nodeSha: sha(nodeStub), winNodeSha: sha(winNode), nodeVersion, commits: g.commits };
  const recipe = join(dir, "recipe", "world.yml");
  await writeFile(recipe, recipeYaml(inputs));
  const win = { embedSha: embed.sha256, mingitSha: sha(mingit) };
  const winRecipe = join(dir, "recipe", "win.yml");
  await writeFile(winRecipe, winYaml(inputs, win, false));
  const winBadRecipe = join(dir, "recipe", "win-bad.yml");
  await writeFile(winBadRecipe, winYaml(inputs, win, true));
  return {
    dir,
    recipe,
    winRecipe,
    winBadRecipe,
    m1,
    m2,
    files,
    commits: g.commits,
    model: { sha256: sha(model), size: model.length },
    pythonVersion: runtime.version,
    downloads: () => files.stats.requests.filter((r) => r.method === "GET").length + m1.fetches() + m2.fetches(),
    close: async () => {
      await Promise.all([m1.close(), m2.close(), files.close()]);
    },
  };
}

interface RecipeInputs {
  m1: GitServer;
  m2: GitServer;
  files: FileServer;
  runtimeSha: string;
  pythonVersion: string;
  model: string;
  nodeSha: string;
  winNodeSha: string;
  nodeVersion: string;
  commits: World["commits"];
}

function recipeYaml(i: RecipeInputs): string {
  return `recipe: 1
name: world
version: 1.0.0
title: Loopback world 整合包
platforms: [linux-x64]
mirrors:
  git: [${i.m1.url}, ${i.m2.url}]
  files: [${i.files.url}]
  pypi: [${i.files.url}/simple]
  hf: [${i.files.url}/hf]
python:
  version: ${i.pythonVersion}
  linux-x64: { url: mirror://files/python/python.tar.gz, sha256: ${i.runtimeSha} }
wheels:
  indexes: [pypi]
  requirements: world.requirements.txt
  lock: world.lock.json
repos:
  - path: app
    url: mirror://git/org/app.git
    commit: ${i.commits.app}
    origin: https://example.invalid/org/app.git
  - path: app/repositories/helper
    url: mirror://git/org/helper.git
    commit: ${i.commits.helper}
extensions:
  dir: app/extensions
  items:
    - url: mirror://git/org/ext-demo.git
      commit: ${i.commits.ext}
files:
  - path: app/models/model.bin
    url: mirror://hf/org/model/resolve/main/model.bin
    sha256: ${i.model}
  - path: hf/refs/main
    text: "0123456789abcdef"
launcher:
  node:
    linux-x64: { url: mirror://files/node/v${i.nodeVersion}/node-v${i.nodeVersion}-linux-x64.tar.gz, sha256: ${i.nodeSha} }
  cwd: app
  command: ["{python}", "app.py", "--port", "{port}"]
  ready: /
  env: { HF_HOME: "{bundle}/hf" }
verify:
  api: a1111
  txt2img: { prompt: "a cat" }
  allow_changes: ["app/outputs/**"]
package:
  formats: [dir]
`;
}

/** A Windows variant: same repositories and files, the embeddable-Python and MinGit stand-ins. */
function winYaml(i: RecipeInputs, w: { embedSha: string; mingitSha: string }, bad: boolean): string {
  const linux = recipeYaml(i);
  const repos = linux.slice(linux.indexOf("repos:"), linux.indexOf("extensions:"));
  const badRepo = bad ? `  - path: app/repositories/bad\n    url: mirror://git/org/bad.git\n    commit: ${i.commits.bad}\n` : "";
  return `recipe: 1
name: world${bad ? "-bad" : ""}
version: 1.0.0
title: Loopback world 整合包
platforms: [win-x64]
mirrors:
  git: [${i.m1.url}, ${i.m2.url}]
  files: [${i.files.url}]
  pypi: [${i.files.url}/simple]
  hf: [${i.files.url}/hf]
python:
  version: 3.10.6
  paths: [app]
  win-x64: { url: mirror://files/python/python-3.10.6-embed-amd64.zip, sha256: ${w.embedSha} }
git:
  win-x64: { url: mirror://files/git-for-windows/MinGit-2.48.1-64-bit.zip, sha256: ${w.mingitSha} }
wheels:
  indexes: [pypi]
  requirements: world.requirements.txt
  lock: win.lock.json
${repos}${badRepo}files:
  - path: app/models/model.bin
    url: mirror://hf/org/model/resolve/main/model.bin
    sha256: ${i.model}
launcher:
  node:
    win-x64: { url: mirror://files/node/v${i.nodeVersion}/node-v${i.nodeVersion}-win-x64.zip, sha256: ${i.winNodeSha} }
    # the build machine's Node of the same version: writes the launcher's SEA blob when greenbundle runs on another version
    linux-x64: { url: mirror://files/node/v${i.nodeVersion}/node-v${i.nodeVersion}-linux-x64.tar.gz, sha256: ${i.nodeSha} }
  cwd: app
  command: ["{python}", "app.py"]
  ready: /
package:
  formats: [dir]
`;
}

async function zipOf(entries: Record<string, string>): Promise<Buffer> {
  const yazl = await import("yazl");
  const zip = new yazl.ZipFile();
  for (const name of Object.keys(entries).sort()) zip.addBuffer(Buffer.from(entries[name]!), name, { mtime: new Date(Date.UTC(2020, 0, 1)) });
  zip.end();
  const parts: Buffer[] = [];
  for await (const c of zip.outputStream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
