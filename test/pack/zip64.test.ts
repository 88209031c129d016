// ZIP64 with a sparse file over 4 GiB (slow: ~40 s here, mostly writing 4.1 GiB; it runs in CI).
// The file is stored (a .safetensors name), so the archive really is over 4 GiB: the big entry
// needs ZIP64 sizes, the entry after it a ZIP64 offset, and the central directory the ZIP64 end
// records. Skipped, visibly, where the temp folder has less than 9 GiB free.

import { execFileSync } from "node:child_process";
import { statfsSync } from "node:fs";
import { mkdir, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packBundle } from "../../src/pack/index.ts";
import { tempDir } from "../helpers/tmp.ts";
import { has, listZip } from "./zip-read.ts";

const BIG = 4 * 2 ** 30 + 100 * 2 ** 20; // 4.1 GiB
const fs = statfsSync(tmpdir());
const roomy = fs.bavail * fs.bsize > 9 * 2 ** 30;

describe("zip64", () => {
  it.skipIf(!roomy)("packs a sparse 4.1 GiB file and a file after it, and 7zz and unzip read them back (slow; needs 9 GiB free in the temp folder)", async () => {
    const tmp = await tempDir("gb-zip64-");
    const dir = join(tmp, "bundle");
    await mkdir(join(dir, "models"), { recursive: true });
    await writeFile(join(dir, "models", "big.safetensors"), "");
    await truncate(join(dir, "models", "big.safetensors"), BIG);
    await writeFile(join(dir, "zz-after.txt"), "after the big one\n");
    const r = await packBundle({ dir, out: join(tmp, "big.zip"), format: "zip", mtime: new Date("2024-01-01T00:00:00Z") });
    expect(r.size).toBeGreaterThan(BIG);
    const items = await listZip(r.files[0]!);
    expect(items.map((i) => [i.name, i.size])).toEqual([
      ["big/", 0],
      ["big/models/", 0],
      ["big/models/big.safetensors", BIG],
      ["big/zz-after.txt", 18],
    ]);
    expect(execFileSync("unzip", ["-p", r.files[0]!, "big/zz-after.txt"]).toString()).toBe("after the big one\n");
    if (has("7zz", ["i"])) expect(execFileSync("7zz", ["t", r.files[0]!]).toString()).toContain("Everything is Ok");
  }, 300_000);
});
