// A small bundle for launcher tests: bundle.json, a `python` that is the host's python3 behind a
// wrapper, and a stand-in app (app.py: an http.server that reports its environment, starts a
// grandchild and writes the pids it owns to a file).

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { BundleJson, ManifestEntry } from "../../src/contract/bundle-json.ts";

export const APP_PY = `
import http.server, json, os, signal, subprocess, sys, time
port = int(sys.argv[1])
extra = sys.argv[2:]
child = subprocess.Popen(["sleep", "600"])
with open(os.environ["FIXTURE_PIDS"], "w") as f:
    json.dump({"app": os.getpid(), "pgid": os.getpgid(0), "child": child.pid}, f)
if os.environ.get("FIXTURE_IGNORE_INT"):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
if os.environ.get("FIXTURE_FAIL"):
    print(os.environ["FIXTURE_FAIL"], file=sys.stderr, flush=True)
    sys.exit(3)
start = time.time()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/ready" and time.time() - start < 0.3:
            self.send_response(503); self.end_headers(); return
        body = json.dumps({"env": dict(os.environ), "argv": sys.argv, "cwd": os.getcwd()}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
print("stand-in app listening on", port, "args", extra, flush=True)
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
`;

function hostPython(): string {
  return execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
}

async function manifest(root: string): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name !== "bundle.json") {
        const data = await readFile(p);
        const st = await stat(p);
        const entry: ManifestEntry = { path: relative(root, p).split("\\").join("/"), size: data.length, sha256: createHash("sha256").update(data).digest("hex") };
        if (st.mode & 0o111) entry.exec = true;
        out.push(entry);
      }
    }
  };
  await walk(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface FixtureOptions {
  port: number;
  env?: Record<string, string>;
  gpu?: BundleJson["launcher"]["gpu"];
  allowChanges?: string[];
}

/** Writes the fixture bundle into `root` (which must exist or will be created). */
export async function makeFixtureBundle(root: string, o: FixtureOptions): Promise<void> {
  await mkdir(join(root, "python", "bin"), { recursive: true });
  await mkdir(join(root, "app"), { recursive: true });
  await mkdir(join(root, "repo"), { recursive: true });
  const wrapper = join(root, "python", "bin", "python3");
  await writeFile(wrapper, `#!/bin/sh\nexec "${hostPython()}" "$@"\n`);
  await chmod(wrapper, 0o755);
  await writeFile(join(root, "app", "app.py"), APP_PY);
  await writeFile(join(root, "repo", "README.md"), "a bundled repository\n");
  await writeFile(join(root, "app", "config.json"), "{}\n");
  const json: BundleJson = {
    format: 1,
    name: "fixture",
    version: "1.0.0-r1",
    title: "Fixture 整合包",
    platform: "linux-x64",
    builder: { name: "greenbundle", version: "test" },
    components: [],
    launcher: {
      name: "launcher",
      title: "Fixture 整合包",
      version: "1.0.0-r1",
      cwd: "app",
      command: ["{python}", "app.py", "{port}"],
      port: o.port,
      ready: "/ready",
      env: { FIXTURE_BUNDLE: "{bundle}", FIXTURE_GIT: "{git}", FIXTURE_PORT: "{port}", ...o.env },
      gpu: o.gpu ?? { cpu: ["--cpu-mode"], vram: [{ below_gb: 8, args: ["--medvram"] }, { args: ["--fast"] }] },
      python: "python/bin/python3",
      git: null,
      repos: ["repo"],
      pipIndexUrl: "http://127.0.0.1:1/simple",
    },
    verify: { api: "a1111", txt2img: {}, timeout: 60, allow_changes: o.allowChanges ?? ["app/config.json", "logs/**"] },
    files: [],
  };
  json.files = await manifest(root);
  await writeFile(join(root, "bundle.json"), JSON.stringify(json, null, 2));
}
