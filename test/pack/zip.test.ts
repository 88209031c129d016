// The release zip: reproducible, ordered, with explicit modes and timestamps, stored or deflated
// by content, accepted by unzip and 7-Zip, optionally split into volumes.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstat, readFile, readdir, readlink, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { packBundle } from "../../src/pack/index.ts";
import { tempDir } from "../helpers/tmp.ts";
import { TREE_FILES, makeTree } from "./tree.ts";
import { has, listZip } from "./zip-read.ts";

const has7zz = has("7zz", ["i"]);
const hasUnzip = has("unzip", ["-v"]);

const mtime = new Date("2024-05-06T07:08:10Z");
/** Every entry lies under one top folder named like the archive's stem. */
const TOP = "demo-1.0-linux-x64/";
let tmp: string;
let zipA: string;
let sha: string;

describe("zip packing", () => {
  beforeAll(async () => {
    tmp = await tempDir("gb-zip-");
    await makeTree(join(tmp, "a", "bundle"));
    const r = await packBundle({ dir: join(tmp, "a", "bundle"), out: join(tmp, "a", "out", "demo-1.0-linux-x64"), format: "zip", mtime });
    zipA = r.files[0]!;
    sha = r.sha256[0]!;
    expect(zipA).toBe(join(tmp, "a", "out", "demo-1.0-linux-x64.zip"));
    expect(r.size).toBe((await lstat(zipA)).size);
  }, 120_000);

  it("is byte-identical for the same tree packed from another folder, with other mtimes, modes and hard links", async () => {
    await makeTree(join(tmp, "b", "整合包 copy"), { hardlink: true, scramble: true });
    const r = await packBundle({ dir: join(tmp, "b", "整合包 copy"), out: join(tmp, "b", "demo-1.0-linux-x64.zip"), format: "zip", mtime, threads: 1 });
    expect(r.sha256).toEqual([sha]);
    expect((await readFile(r.files[0]!)).equals(await readFile(zipA))).toBe(true);
    expect(createHash("sha256").update(await readFile(zipA)).digest("hex")).toBe(sha);
  }, 120_000);

  it("lists entries in code-unit order with the fixed timestamp and explicit modes", async () => {
    const items = await listZip(zipA);
    const names = items.map((i) => i.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(names[0]).toBe(TOP);
    expect(names.every((n) => n.startsWith(TOP))).toBe(true);
    expect(names).toContain(`${TOP}webui/outputs/`);
    expect(names).toContain(TOP + TREE_FILES.cjk);
    expect(new Set(items.map((i) => `${i.dosDate}:${i.dosTime}`))).toEqual(new Set([`${((2024 - 1980) << 9) | (5 << 5) | 6}:${(7 << 11) | (8 << 5) | 5}`]));
    const mode = (n: string): string => (items.find((i) => i.name === TOP + n)!.mode & 0o170777).toString(8);
    expect(mode(TREE_FILES.exec)).toBe("100755");
    expect(mode(TREE_FILES.execByManifest)).toBe("100755");
    expect(mode(TREE_FILES.cjk)).toBe("100644");
    expect(mode("webui/")).toBe("40755");
    expect(mode(TREE_FILES.link)).toBe("120777");
  });

  it("stores already-compressed and incompressible content and deflates the rest", async () => {
    const items = new Map((await listZip(zipA)).map((i) => [i.name, i]));
    const method = (n: string): string => (items.get(TOP + n)!.method === 0 ? "store" : "deflate");
    expect(method(TREE_FILES.weights)).toBe("store");
    expect(method(TREE_FILES.image)).toBe("store");
    expect(method(TREE_FILES.wheel)).toBe("store");
    expect(method(TREE_FILES.randomUnknown)).toBe("store"); // judged by a sample of its bytes
    expect(method(TREE_FILES.smallRandom)).toBe("store"); // deflate did not shrink it
    expect(method(TREE_FILES.empty)).toBe("store");
    expect(method(TREE_FILES.textUnknown)).toBe("deflate");
    expect(method("webui/modules/m10.py")).toBe("deflate");
    const big = items.get(TOP + TREE_FILES.textUnknown)!;
    expect(big.compressedSize).toBeLessThan(big.size / 2);
  });

  it.skipIf(!hasUnzip)("is accepted by unzip -t and extracts to the same files, modes and link", async () => {
    expect(execFileSync("unzip", ["-t", zipA]).toString()).toContain("No errors detected");
    execFileSync("unzip", ["-q", zipA, "-d", join(tmp, "unzipped-top")]);
    const dest = join(tmp, "unzipped-top", TOP);
    for (const rel of [TREE_FILES.weights, TREE_FILES.textUnknown, TREE_FILES.cjk, "webui/modules/m59.py", TREE_FILES.empty]) {
      expect((await readFile(join(dest, rel))).equals(await readFile(join(tmp, "a", "bundle", rel)))).toBe(true);
    }
    expect((await lstat(join(dest, TREE_FILES.execByManifest))).mode & 0o777).toBe(0o755);
    expect(await readlink(join(dest, TREE_FILES.link))).toBe("python3");
    expect((await lstat(join(dest, TREE_FILES.weights))).mtime.toISOString()).toBe(mtime.toISOString());
  });

  it.skipIf(!has7zz)("is accepted by 7zz t (needs 7-Zip)", () => {
    expect(execFileSync("7zz", ["t", zipA]).toString()).toContain("Everything is Ok");
  });

  it("splits into volumes that concatenate back into the same archive, and removes stale volumes", async () => {
    const out = join(tmp, "split", "demo-1.0-linux-x64.zip");
    const r = await packBundle({ dir: join(tmp, "a", "bundle"), out, format: "zip", mtime, split: "1MiB" });
    expect(r.files.map((f) => f.slice(out.length))).toEqual(Array.from({ length: r.files.length }, (_, i) => `.${String(i + 1).padStart(3, "0")}`));
    expect(r.files.length).toBe(Math.ceil(r.size / 2 ** 20));
    const parts = await Promise.all(r.files.map((f) => readFile(f)));
    expect(Buffer.concat(parts).equals(await readFile(zipA))).toBe(true);
    expect(r.sha256).toEqual(parts.map((p) => createHash("sha256").update(p).digest("hex")));
    const again = await packBundle({ dir: join(tmp, "a", "bundle"), out, format: "zip", mtime, split: 4 * 2 ** 20 });
    expect((await readdir(join(tmp, "split"))).sort()).toEqual(again.files.map((f) => f.slice(join(tmp, "split").length + 1)).sort());
    await packBundle({ dir: join(tmp, "a", "bundle"), out, format: "zip", mtime });
    expect(await readdir(join(tmp, "split"))).toEqual(["demo-1.0-linux-x64.zip"]);
  });

  it("leaves no archive behind when interrupted", async () => {
    const ac = new AbortController();
    const out = join(tmp, "aborted", "demo.zip");
    const p = packBundle({ dir: join(tmp, "a", "bundle"), out, format: "zip", mtime, signal: ac.signal, emit: (e) => e.type === "task:progress" && ac.abort() });
    await expect(p).rejects.toThrow();
    expect(await readdir(join(tmp, "aborted"))).toEqual([]);
  });

  it("refuses a symbolic link that leaves the bundle", async () => {
    const dir = join(tmp, "escape");
    await makeTree(dir);
    await rm(join(dir, TREE_FILES.link));
    await writeFile(join(dir, "ok.txt"), "x");
    execFileSync("ln", ["-s", "../../../etc/passwd", join(dir, TREE_FILES.link)]); // python/bin/ → 3 levels up
    await expect(packBundle({ dir, out: join(tmp, "escape.zip"), format: "zip", mtime })).rejects.toThrow(/outside the bundle/);
  });
});
