// The release .tar.gz: reproducible, portable, explicit modes, no hard links, valid gzip.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstat, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { packBundle } from "../../src/pack/index.ts";
import { tempDir } from "../helpers/tmp.ts";
import { TREE_FILES, makeTree } from "./tree.ts";

const mtime = new Date("2024-05-06T07:08:10Z");
/** Every entry lies under one top folder named like the archive's stem. */
const TOP = "demo-1.0-linux-x64/";
let tmp: string;
let tgz: string;

describe("tar.gz packing", () => {
  beforeAll(async () => {
    tmp = await tempDir("gb-targz-");
    await makeTree(join(tmp, "a", "bundle"));
    const r = await packBundle({ dir: join(tmp, "a", "bundle"), out: join(tmp, "a", "demo-1.0-linux-x64"), format: "tar.gz", mtime });
    tgz = r.files[0]!;
    expect(tgz.endsWith("demo-1.0-linux-x64.tar.gz")).toBe(true);
    expect(r.sha256).toEqual([createHash("sha256").update(await readFile(tgz)).digest("hex")]);
  }, 120_000);

  it("is byte-identical for the same tree packed from another folder, with other mtimes, modes and hard links", async () => {
    await makeTree(join(tmp, "b", "整合包 copy"), { hardlink: true, scramble: true });
    const r = await packBundle({ dir: join(tmp, "b", "整合包 copy"), out: join(tmp, "b", "demo-1.0-linux-x64.tar.gz"), format: "tar.gz", mtime, threads: 1 });
    expect((await readFile(r.files[0]!)).equals(await readFile(tgz))).toBe(true);
  }, 120_000);

  it("is one valid gzip member with a fixed header", async () => {
    const bytes = await readFile(tgz);
    expect([...bytes.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    execFileSync("gzip", ["-t", tgz]);
    expect(gunzipSync(bytes).length % 512).toBe(0);
  });

  it("lists sorted entries owned by 0/0 with the fixed mtime, explicit modes, and no hard links", () => {
    const lines = execFileSync("tar", ["--numeric-owner", "-tvzf", tgz], { env: { ...process.env, TZ: "UTC" } }).toString().trim().split("\n");
    const names = lines.map((l) => l.split(/\s+/).slice(5).join(" ").replace(/ -> .*$/, ""));
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(names[0]).toBe(TOP);
    expect(names.every((n) => n.startsWith(TOP))).toBe(true);
    for (const l of lines) expect(l).toMatch(/^[-dl]\S+ 0\/0 .* 2024-05-06 07:08 /);
    const line = (n: string): string => lines.find((l) => l.includes(` ${TOP}${n}`))!;
    expect(line(TREE_FILES.execByManifest)).toMatch(/^-rwxr-xr-x/);
    expect(line(TREE_FILES.cjk)).toMatch(/^-rw-r--r--/);
    expect(line("webui/outputs/")).toMatch(/^drwxr-xr-x/);
    expect(line(TREE_FILES.link)).toMatch(/^l\S+ .* -> python3$/); // link modes mean nothing on Linux
  });

  it("extracts to the same files with GNU tar", async () => {
    const dest = join(tmp, "x");
    execFileSync("mkdir", ["-p", dest]);
    execFileSync("tar", ["-xzf", tgz, "-C", dest]);
    for (const rel of [TREE_FILES.weights, TREE_FILES.textUnknown, TREE_FILES.cjk, TREE_FILES.empty, "webui/modules/copy.py"]) {
      expect((await readFile(join(dest, TOP, rel))).equals(await readFile(join(tmp, "a", "bundle", rel)))).toBe(true);
    }
    expect((await lstat(join(dest, TOP, TREE_FILES.execByManifest))).mode & 0o777).toBe(0o755);
    expect(await readlink(join(dest, TOP, TREE_FILES.link))).toBe("python3");
  });

  it("splits into volumes that concatenate back into the same archive", async () => {
    const r = await packBundle({ dir: join(tmp, "a", "bundle"), out: join(tmp, "split", "demo-1.0-linux-x64.tar.gz"), format: "tar.gz", mtime, split: 1 << 20 });
    expect(r.files.length).toBeGreaterThan(1);
    const parts = await Promise.all(r.files.map((f) => readFile(f)));
    expect(Buffer.concat(parts).equals(await readFile(tgz))).toBe(true);
  });
});
