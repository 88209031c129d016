// What a build takes in and must not pass on or ignore: a private mirror's user:password in the
// recipe's URLs never ships inside the bundle; a stale lock is said, and re-resolved without --locked.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../../src/assemble/build.ts";
import { withoutCredentials } from "../../src/core/errors.ts";
import { makeWorld, type World } from "../build/world.ts";
import { tempDir } from "../helpers/tmp.ts";

let world: World;
let tmp: string;
beforeAll(async () => {
  tmp = await tempDir("gb-creds-");
  world = await makeWorld(join(tmp, "world"));
}, 120_000);
afterAll(async () => world?.close());

async function filesContaining(root: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    if ((await readFile(p)).includes(needle)) hits.push(p.slice(root.length + 1));
  }
  return hits;
}

describe("mirror URLs with credentials", () => {
  it("strips user:password from URLs", () => {
    expect(withoutCredentials("https://user:tok@mirror.example/simple")).toBe("https://mirror.example/simple");
    expect(withoutCredentials("http://tok@127.0.0.1:8080/x.git")).toBe("http://127.0.0.1:8080/x.git");
    expect(withoutCredentials("https://mirror.example/a@b")).toBe("https://mirror.example/a@b");
  });

  it("downloads with them but writes them nowhere in the bundle", async () => {
    const text = (await readFile(world.recipe, "utf8")).replace(/http:\/\/127\.0\.0\.1/g, "http://user:s3cret@127.0.0.1");
    const recipe = join(tmp, "world", "recipe", "creds.yml");
    await writeFile(recipe, text);
    const r = await buildBundle({ recipe, cacheDir: join(tmp, "cache"), outDir: join(tmp, "dist"), launcher: false, builderVersion: "test", format: "dir" });
    expect(await filesContaining(r.bundleDir, "s3cret")).toEqual([]);
    const bj = JSON.parse(await readFile(join(r.bundleDir, "bundle.json"), "utf8")) as { launcher: { pipIndexUrl?: string }; components: { url?: string }[] };
    expect(bj.launcher.pipIndexUrl).toBe(`${world.files.url}/simple`);
    expect(bj.components.some((c) => c.url?.startsWith(world.files.url))).toBe(true);
  }, 120_000);
});

describe("a stale lock without --locked", () => {
  it("is re-resolved, with a warning that says why it was stale and what --locked would do", async () => {
    const text = (await readFile(world.recipe, "utf8")).replace(`version: ${world.pythonVersion}`, "version: 3.11.99");
    const recipe = join(tmp, "world", "recipe", "stale.yml");
    await writeFile(recipe, text);
    const warnings: { message: string; hint?: string }[] = [];
    await buildBundle({
      recipe, cacheDir: join(tmp, "cache"), outDir: join(tmp, "dist-stale"), launcher: false, builderVersion: "test", format: "dir",
      emit: (e) => void (e.type === "warning" && warnings.push(e)),
    });
    const w = warnings.find((x) => x.message.startsWith("the lock file"));
    expect(w?.message).toMatch(/is stale for linux-x64:\n {2}the lock was made for Python .*; the recipe now says 3\.11\.99/);
    expect(w?.hint).toMatch(/bundle build --locked` refuses a stale lock/);
    const lock = JSON.parse(await readFile(join(tmp, "world", "recipe", "world.lock.json"), "utf8")) as { python: string };
    expect(lock.python).toBe("3.11.99");
  }, 120_000);
});

describe("a pinned runtime that is not an archive", () => {
  it("names the artifact and its URL, and says another mirror cannot help", async () => {
    const text = (await readFile(world.recipe, "utf8")).replace(/linux-x64: \{ url: mirror:\/\/files\/python\/python\.tar\.gz, sha256: [0-9a-f]{64} \}/, `linux-x64: { url: mirror://hf/org/model/resolve/main/model.bin, sha256: ${world.model.sha256} }`);
    const recipe = join(tmp, "world", "recipe", "not-an-archive.yml");
    await writeFile(recipe, text);
    const err = await buildBundle({ recipe, cacheDir: join(tmp, "cache-bad"), outDir: join(tmp, "dist-bad"), launcher: false, builderVersion: "test", format: "dir" }).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string; hint?: string },
    );
    expect(err?.code).toBe("ARCHIVE");
    expect(err?.message).toMatch(new RegExp(`^python \\(${world.files.url}/hf/org/model/resolve/main/model\\.bin\\): not a readable tar\\.gz`));
    expect(err?.hint).toMatch(/another mirror would send the same/);
  }, 120_000);
});
