// An sdist to build and the build backend it needs: a tiny PEP 517 backend shipped as a generated
// wheel (gb-backend), so that tests need neither network nor the host's setuptools. `gb-build.json`
// in the sdist says what the backend builds: name, version, requirements, and a tag ("native"
// makes a linux_x86_64 wheel of the host's CPython).
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { packTarGz } from "../../src/demo/runtime.ts";

const BACKEND = `
import base64, hashlib, json, os, sys, zipfile
def get_requires_for_build_wheel(config_settings=None):
    return []
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with open("gb-build.json") as f:
        c = json.load(f)
    tag = c.get("tag", "py3-none-any")
    if tag == "native":
        py = "cp%d%d" % sys.version_info[:2]
        tag = py + "-" + py + "-linux_x86_64"
    dist = c["name"].replace("-", "_")
    files = {}
    for root, _, names in os.walk(c["package"]):
        for n in sorted(names):
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                files[p.replace(os.sep, "/")] = f.read()
    di = "%s-%s.dist-info" % (dist, c["version"])
    md = "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (c["name"], c["version"])
    md += "".join("Requires-Dist: %s\\n" % r for r in c.get("requires", []))
    files[di + "/METADATA"] = md.encode()
    pure = "true" if tag.endswith("-none-any") else "false"
    files[di + "/WHEEL"] = ("Wheel-Version: 1.0\\nGenerator: gb-backend\\nRoot-Is-Purelib: %s\\nTag: %s\\n" % (pure, tag)).encode()
    rows = []
    for p, b in files.items():
        h = base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
        rows.append("%s,sha256=%s,%d" % (p, h, len(b)))
    rows.append(di + "/RECORD,,")
    files[di + "/RECORD"] = ("\\n".join(rows) + "\\n").encode()
    name = "%s-%s-%s.whl" % (dist, c["version"], tag)
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for p, b in files.items():
            z.writestr(zipfile.ZipInfo(p, (1980, 1, 1, 0, 0, 0)), b)
    return name
`;
export const BACKEND_WHEEL = { name: "gb-backend", version: "1.0", files: { "gb_backend.py": BACKEND } };

export async function makeSdist(dir: string, name: string, cfg: Record<string, unknown>): Promise<{ path: string; sha256: string; filename: string }> {
  const top = `${name}-1.0`;
  const src = join(dir, "src", top);
  await mkdir(join(src, name), { recursive: true });
  await writeFile(join(src, name, "__init__.py"), `NAME = "${name}"\n`);
  await writeFile(join(src, "pyproject.toml"), '[build-system]\nrequires = ["gb-backend"]\nbuild-backend = "gb_backend"\n');
  await writeFile(join(src, "gb-build.json"), JSON.stringify({ name, version: "1.0", package: name, ...cfg }));
  const filename = `${top}.tar.gz`;
  const path = join(dir, filename);
  await packTarGz(join(dir, "src"), top, path);
  return { path, filename, sha256: createHash("sha256").update(await readFile(path)).digest("hex") };
}

