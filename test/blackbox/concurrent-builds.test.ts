// Two builds of one bundle into one output folder at the same time: the second waits for the
// first instead of replacing the folder under its packer; both succeed and the folder ends with
// one bundle, one archive and a SHA256SUMS that lists it.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../../src/assemble/build.ts";
import { collector } from "../../src/core/events.ts";
import { makeWorld, type World } from "../build/world.ts";
import { tempDir } from "../helpers/tmp.ts";

let world: World;
let tmp: string;
beforeAll(async () => {
  tmp = await tempDir("gb-concurrent-");
  world = await makeWorld(join(tmp, "world"));
}, 120_000);
afterAll(async () => world?.close());

describe("two builds into one output folder", () => {
  it("serialises them: both succeed, the second says it waited, nothing is left half-made", async () => {
    const out = join(tmp, "dist");
    const cacheDir = join(tmp, "cache");
    const a = collector();
    const b = collector();
    const build = (emit: typeof a.emit) => buildBundle({ recipe: world.recipe, cacheDir, outDir: out, launcher: false, builderVersion: "test", format: "zip", emit });
    const [ra, rb] = await Promise.all([build(a.emit), build(b.emit)]);
    expect(ra.bundleName).toBe("world-1.0.0-linux-x64");
    expect(rb.bundleName).toBe("world-1.0.0-linux-x64");
    const waited = [...a.events, ...b.events].filter((e) => e.type === "info" && /is writing world-1\.0\.0-linux-x64 in .*; waiting for it$/.test(e.message));
    expect(waited).toHaveLength(1);
    expect((await readdir(out)).sort()).toEqual(["SHA256SUMS", "world-1.0.0-linux-x64", "world-1.0.0-linux-x64.zip"]);
    const zip = await readFile(join(out, "world-1.0.0-linux-x64.zip"));
    expect(await readFile(join(out, "SHA256SUMS"), "utf8")).toContain(`${createHash("sha256").update(zip).digest("hex")}  world-1.0.0-linux-x64.zip`);
  }, 180_000);
});
