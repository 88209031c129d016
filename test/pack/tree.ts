// A small bundle-like tree for packing tests: text and Python files, random "weights", already
// compressed files, a big file of unknown type in each flavour, CJK names, an executable, an
// empty file, an empty folder, a symbolic link, and a bundle.json whose manifest marks executables.

import { createHash } from "node:crypto";
import { chmod, link, mkdir, symlink, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** Deterministic pseudo-random bytes (the same tree in every test run and folder). */
export function noise(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash("sha256").update(seed).digest();
  for (let i = 0; i < size; i += 32) {
    block.copy(out, i, 0, Math.min(32, size - i));
    block = createHash("sha256").update(block).digest();
  }
  return out;
}

function text(seed: number, size: number): string {
  const words = ["import", "torch", "def", "return", "self", "model", "prompt", "整合包", "image", "sampler", "steps", "=", "(", ")", ":"];
  let s = "";
  let x = seed;
  while (s.length < size) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    s += words[x % words.length] + (x % 7 === 0 ? "\n" : " ");
  }
  return s.slice(0, size);
}

export const TREE_FILES = {
  weights: "models/model.safetensors",
  image: "webui/assets/logo.png",
  wheel: "wheels/pkg-1.0-py3-none-any.whl",
  randomUnknown: "data/random.dat",
  textUnknown: "data/corpus.dat",
  smallRandom: "data/small.bin2",
  exec: "python/bin/python3",
  execByManifest: "python/bin/tool",
  link: "python/bin/python",
  empty: "empty.txt",
  cjk: "模型/说明 文件.txt",
};

export interface TreeOptions {
  /** Make webui/modules/copy.py a hard link of m01.py instead of a copy. */
  hardlink?: boolean;
  /** Give files other mtimes and permission bits than the defaults. */
  scramble?: boolean;
}

export async function makeTree(root: string, o: TreeOptions = {}): Promise<void> {
  const put = async (rel: string, data: string | Buffer): Promise<void> => {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), data);
  };
  for (let i = 0; i < 60; i++) await put(`webui/modules/m${String(i).padStart(2, "0")}.py`, text(i, 500 + i * 97));
  if (o.hardlink) await link(join(root, "webui/modules/m01.py"), join(root, "webui/modules/copy.py"));
  else await put("webui/modules/copy.py", text(1, 500 + 97));
  await put(TREE_FILES.weights, noise("weights", 3 << 20));
  await put(TREE_FILES.image, noise("png", 300_000));
  await put(TREE_FILES.wheel, noise("whl", 200_000));
  await put(TREE_FILES.randomUnknown, noise("dat", (2 << 20) + 123));
  await put(TREE_FILES.textUnknown, text(99, (2 << 20) + 7));
  await put(TREE_FILES.smallRandom, noise("small", 5000));
  await put(TREE_FILES.exec, "#!/bin/sh\necho python\n");
  await chmod(join(root, TREE_FILES.exec), 0o755);
  await put(TREE_FILES.execByManifest, "#!/bin/sh\necho tool\n"); // no +x on disk: the manifest says exec
  await symlink("python3", join(root, TREE_FILES.link));
  await put(TREE_FILES.empty, "");
  await put(TREE_FILES.cjk, "中文说明\n");
  await mkdir(join(root, "webui", "outputs"), { recursive: true });
  const manifest = [TREE_FILES.exec, TREE_FILES.execByManifest].map((path) => ({ path, size: 0, sha256: "", exec: true }));
  await put("bundle.json", JSON.stringify({ format: 1, files: manifest }, null, 2));
  if (o.scramble) {
    await utimes(join(root, "webui/modules/m00.py"), new Date("2001-02-03"), new Date("2001-02-03"));
    await chmod(join(root, TREE_FILES.cjk), 0o600);
    await chmod(join(root, TREE_FILES.textUnknown), 0o664);
  }
}
