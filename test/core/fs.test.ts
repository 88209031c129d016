// Renames that outlast a file held open (Windows scanners), and paths typed with \\?\.
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hostPath, renameRetry } from "../../src/core/fs.ts";
import { tempDir } from "../helpers/tmp.ts";

const held = (code: string) => Object.assign(new Error(`${code}: resource busy or locked, rename`), { code });

describe("renameRetry", () => {
  it("waits out a file that is held open for a moment (EBUSY, EPERM, EACCES), then renames it for real", async () => {
    const dir = await tempDir("gb-rename-");
    await writeFile(join(dir, "a.tmp"), "bytes");
    const codes = ["EBUSY", "EPERM", "EACCES"];
    const tried: string[] = [];
    await renameRetry(join(dir, "a.tmp"), join(dir, "a"), {
      held: true,
      rename: async (from, to) => {
        const code = codes.shift();
        tried.push(code ?? "renamed");
        if (code) throw held(code);
        await rename(from, to);
      },
    });
    expect(tried).toEqual(["EBUSY", "EPERM", "EACCES", "renamed"]);
    expect(await readFile(join(dir, "a"), "utf8")).toBe("bytes");
  });

  it("gives up after its budget with the last error as it was", async () => {
    let calls = 0;
    const err = (await renameRetry("x", "y", { held: true, budgetMs: 300, rename: async () => { calls++; throw held("EBUSY"); } }).then(() => undefined, (e: unknown) => e)) as NodeJS.ErrnoException;
    expect(err.code).toBe("EBUSY");
    expect(calls).toBeGreaterThanOrEqual(3); // 50 + 100 + 200 ms of pauses, then one more try
  });

  it("does not retry where those codes are permanent (non-Windows hosts), nor other errors", async () => {
    let calls = 0;
    const fail = (code: string) => async () => { calls++; throw held(code); };
    await expect(renameRetry("x", "y", { held: false, rename: fail("EACCES") })).rejects.toMatchObject({ code: "EACCES" });
    await expect(renameRetry("x", "y", { held: true, rename: fail("ENOENT") })).rejects.toMatchObject({ code: "ENOENT" });
    expect(calls).toBe(2);
  });

  it("renames a real folder with what is in it", async () => {
    const dir = await tempDir("gb-rename-");
    await mkdir(join(dir, "d.partial"));
    await writeFile(join(dir, "d.partial", "x"), "x");
    await renameRetry(join(dir, "d.partial"), join(dir, "d"));
    expect(await readFile(join(dir, "d", "x"), "utf8")).toBe("x");
    expect(await readdir(dir)).toEqual(["d"]);
  });
});

describe("hostPath", () => {
  it("strips the \\\\?\\ prefix from Windows paths, drive and UNC alike, and leaves other paths alone", () => {
    expect(hostPath("\\\\?\\C:\\Users\\me\\整合包\\recipe.yml", true)).toBe("C:\\Users\\me\\整合包\\recipe.yml");
    expect(hostPath("\\\\?\\UNC\\nas\\share\\cache", true)).toBe("\\\\nas\\share\\cache");
    expect(hostPath("D:\\cache", true)).toBe("D:\\cache");
    expect(hostPath("\\\\?\\C:\\x", false)).toBe("\\\\?\\C:\\x");
  });
});
