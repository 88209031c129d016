// A hand-made bundle for verify's integration tests: the demo's stand-in app run by the host's
// Python through a tiny sh "launcher", with a bundle.json whose manifest is computed here. It
// needs none of the build pipeline, so verify is tested on its own (the e2e test builds for real).
import { execFileSync } from "node:child_process";
import { chmod, cp, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BundleJson } from "../../src/contract/bundle-json.ts";
import { snapshotTree } from "../../src/verify/tree.ts";

const APP = new URL("../../src/demo/app/", import.meta.url).pathname;

export const hostPython = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();

/** The launcher: `--no-browser --port N`; FAKE_LAUNCHER_LEAK=1 leaves a detached sleeper behind. */
function launcherScript(serverStop: boolean): string {
  return `#!/bin/sh
here=$(cd "$(dirname "$0")" && pwd)
port=7860
while [ $# -gt 0 ]; do case "$1" in --port) port=$2; shift;; esac; shift; done
if [ -n "$FAKE_LAUNCHER_LEAK" ]; then setsid sleep 300 >/dev/null 2>&1 & fi
mkdir -p "$here/logs" && echo "started on $port" > "$here/logs/launcher.log"
cd "$here/app" || exit 1
PYTHONPATH="$here/python/lib/python3.11/site-packages" PYTHONDONTWRITEBYTECODE=1 exec "${hostPython}" -u app.py --api${serverStop ? " --api-server-stop" : ""} --port "$port"
`;
}

/** What the demo app writes at every start, as recipes/demo.yml allows it (its cache, its package's launch counter), and the launcher's log. */
export const FIRST_LAUNCH_WRITES = ["app/cache/**", "python/lib/python3*/site-packages/gb_demo_palette/launches.json", "logs/**"];

/** A stand-in torch that says it sees a GPU (the probe's plumbing, not CUDA, is under test). */
const FAKE_TORCH = `__version__ = "2.1.2+cu121"
class version:
    cuda = "12.1"
class _Props:
    name = "Fake GPU 24GB"
    total_memory = 24 * 1024**3
class cuda:
    @staticmethod
    def is_available():
        return True
    @staticmethod
    def get_device_properties(i):
        return _Props()
`;

export async function makeFakeBundle(dir: string, opts: { timeout?: number; serverStop?: boolean; torch?: boolean } = {}): Promise<string> {
  const serverStop = opts.serverStop ?? true;
  const root = join(dir, "fake-1.0.0-linux-x64");
  await cp(join(APP, "repo"), join(root, "app"), { recursive: true });
  await cp(join(APP, "extension"), join(root, "app/extensions/demo-vignette"), { recursive: true });
  await cp(join(APP, "palette"), join(root, "python/lib/python3.11/site-packages"), { recursive: true });
  await mkdir(join(root, "app/models/Stable-diffusion"), { recursive: true });
  await writeFile(join(root, "app/models/Stable-diffusion/fake.ckpt"), "GBDEMO-CHECKPOINT-1\nfake weights\n");
  await mkdir(join(root, "python/bin"), { recursive: true });
  await writeFile(join(root, "python/bin/python3"), `#!/bin/sh\nPYTHONPATH="$(dirname "$0")/../lib/python3.11/site-packages" exec "${hostPython}" "$@"\n`, { mode: 0o755 });
  if (opts.torch) {
    await mkdir(join(root, "python/lib/python3.11/site-packages/torch"), { recursive: true });
    await writeFile(join(root, "python/lib/python3.11/site-packages/torch/__init__.py"), FAKE_TORCH);
  }
  await writeFile(join(root, "launcher"), launcherScript(serverStop));
  await chmod(join(root, "launcher"), 0o755);
  const tree = await snapshotTree(root);
  const bj: BundleJson = {
    format: 1,
    name: "fake",
    version: "1.0.0",
    title: "Fake bundle 整合包",
    platform: "linux-x64",
    builder: { name: "greenbundle", version: "test" },
    components: [
      { kind: "python", name: "python", dest: "python" },
      { kind: "repo", name: "app", dest: "app" },
      { kind: "extension", name: "demo-vignette", dest: "app/extensions/demo-vignette" },
    ],
    launcher: {
      name: "launcher",
      title: "Fake",
      version: "1.0.0",
      cwd: "app",
      command: ["{python}", "app.py", "--api", ...(serverStop ? ["--api-server-stop"] : []), "--port", "{port}"],
      port: 7860,
      ready: "/sdapi/v1/sd-models",
      env: {},
      gpu: { cpu: [], vram: [] },
      python: "python/bin/python3",
      git: null,
      repos: ["app", "app/extensions/demo-vignette"],
    },
    verify: { api: "a1111", txt2img: { prompt: "a cute cat", steps: 8, width: 96, height: 64, seed: 7 }, timeout: opts.timeout ?? 60, allow_changes: FIRST_LAUNCH_WRITES },
    files: [...tree].map(([path, e]) => ({ path, size: e.size, sha256: e.sha256!, ...(e.mode & 0o100 ? { exec: true } : {}) })),
  };
  await writeFile(join(root, "bundle.json"), JSON.stringify(bj, null, 2));
  return root;
}

export function hasUnshare(): boolean {
  try {
    execFileSync("unshare", ["-rn", "sh", "-c", "ip link set lo up"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
