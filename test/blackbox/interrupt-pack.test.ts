// Ctrl+C while packing: the bundle folder was already finished and renamed, so it stays; the
// message must say so (not "nothing was left"), and no archive appears under its final name.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../../src/assemble/build.ts";
import { BundleError } from "../../src/core/errors.ts";
import { makeWorld, type World } from "../build/world.ts";
import { tempDir } from "../helpers/tmp.ts";

let world: World;
let tmp: string;
beforeAll(async () => {
  tmp = await tempDir("gb-int-pack-");
  world = await makeWorld(join(tmp, "world"));
}, 120_000);
afterAll(async () => world?.close());

describe("interrupting a build while it packs", () => {
  it("keeps the finished folder, writes no archive under its final name, and says exactly that", async () => {
    const out = join(tmp, "dist");
    const ctl = new AbortController();
    let error: unknown;
    try {
      await buildBundle({
        recipe: world.recipe,
        cacheDir: join(tmp, "cache"),
        outDir: out,
        launcher: false,
        builderVersion: "test",
        format: "zip",
        signal: ctl.signal,
        emit: (e) => {
          if (e.type === "stage" && e.stage === "pack" && e.status === "start") ctl.abort(new Error("SIGINT"));
        },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BundleError);
    expect((error as BundleError).code).toBe("INTERRUPTED");
    expect((error as BundleError).message).toBe(`build of world-1.0.0-linux-x64 interrupted; the bundle folder ${join(out, "world-1.0.0-linux-x64")} is complete, its archive was not written`);
    const left = await readdir(out);
    expect(left).toContain("world-1.0.0-linux-x64");
    expect(left.filter((n) => n.endsWith(".zip") || n === "SHA256SUMS")).toEqual([]);
  }, 120_000);
});
