// Symbolic links in bundled repositories. One that leaves the bundle (an extension with
// `passwd -> /etc/passwd`, or one that only leaves it once another link is followed) is refused
// when the repository is placed, with an error naming the repository, the link and its target,
// and the failed build leaves neither a bundle folder nor an archive in dist/. Links that stay
// inside are kept.
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../../src/assemble/build.ts";
import { refuseEscapingLinks } from "../../src/assemble/place.ts";
import { BundleError } from "../../src/core/errors.ts";
import { escapingLinks, linkEscape } from "../../src/core/links.ts";
import { createFixtureRepo } from "../../src/demo/git-server.ts";
import { ensureCommit } from "../../src/git/cache.ts";
import { placeRepos } from "../../src/git/repos.ts";
import { tempDir } from "../helpers/tmp.ts";
import { listZip } from "../pack/zip-read.ts";
import { makeWorld, type World } from "./world.ts";

let world: World;
let tmp: string;
let evil: string;
let linky: string;

/** The world's recipe with one more extension. */
async function recipeWith(name: string, repo: string, commit: string): Promise<string> {
  const text = await readFile(world.recipe, "utf8");
  const anchor = `      commit: ${world.commits.ext}\n`;
  const path = join(tmp, "recipe", `${name}.yml`);
  await writeFile(path, text.replace(anchor, `${anchor}    - url: mirror://git/org/${repo}.git\n      commit: ${commit}\n`));
  return path;
}

beforeAll(async () => {
  tmp = await tempDir("gb-links-");
  world = await makeWorld(tmp);
  [evil] = (await createFixtureRepo(join(tmp, "git1"), "org/evil.git", [
    {
      message: "links out",
      files: { "README.md": "an extension\n" },
      // `up` stays inside; `sneaky` looks inside on paper (evil/etc) but runs through `up`.
      links: { passwd: "/etc/passwd", up: "../..", sneaky: "up/../../etc/hostname", "docs/readme": "../README.md" },
    },
  ])) as [string];
  [linky] = (await createFixtureRepo(join(tmp, "git1"), "org/linky.git", [
    { message: "links in", files: { "README.md": "inside\n", "lib/a.py": "A = 1\n" }, links: { "docs/readme": "../README.md", "b.py": "lib/a.py", models: "../../models" } },
  ])) as [string];
}, 300_000);
afterAll(async () => world?.close());

describe("where a link ends", () => {
  it("follows links through each other, as the system does", () => {
    const links = new Map([
      ["ext/up", "../.."],
      ["ext/sneaky", "up/../../etc"],
      ["ext/through", "up/models"],
      ["ext/abs", "/etc/passwd"],
      ["ext/drive", "C:\\Windows"],
      ["ext/loop", "loop"],
    ]);
    expect(linkEscape("ext/up", "../..", links)).toBe("it climbs above the bundle's root");
    expect(linkEscape("ext/fine", "up/models", new Map([["ext/up", ".."]]))).toBeUndefined();
    expect(linkEscape("a/b/sneaky", "up/../../etc", new Map([["a/b/up", ".."]]))).toBe("it climbs above the bundle's root");
    expect(escapingLinks(links).map((b) => [b.path, b.why])).toEqual([
      ["ext/abs", "an absolute path"],
      ["ext/drive", "an absolute path"],
      ["ext/loop", "a loop of links"],
      ["ext/sneaky", "it climbs above the bundle's root"],
      ["ext/through", "it climbs above the bundle's root"],
      ["ext/up", "it climbs above the bundle's root"],
    ]);
  });
});

describe("the bundle folder's last check", () => {
  it("refuses any link that leads outside, whichever stage wrote it", async () => {
    const root = await tempDir();
    await mkdir(join(root, "python", "lib"), { recursive: true });
    await symlink("../../../etc", join(root, "python", "lib", "escape"));
    await symlink("lib", join(root, "python", "inside"));
    const entries = [
      { path: "python/inside", kind: "link" },
      { path: "python/lib/escape", kind: "link" },
    ];
    await expect(refuseEscapingLinks(root, entries)).rejects.toThrow(/^1 symbolic link\(s\) in the bundle point outside it:\n {2}python\/lib\/escape -> \.\.\/\.\.\/\.\.\/etc \(it climbs above the bundle's root\)$/);
    await expect(refuseEscapingLinks(root, entries.slice(0, 1))).resolves.toBeUndefined();
  });
});

describe("a repository with links that leave the bundle", () => {
  it("is refused when placed, before anything of it is written", async () => {
    const cacheDir = join(tmp, "cache-place");
    const fetched = await ensureCommit({ id: "extension:evil", name: "evil", commit: evil, urls: [`${world.m1.url}/org/evil.git`], origin: "https://example.invalid/org/evil.git" }, { cacheDir });
    const root = await tempDir();
    const err = await placeRepos([{ name: "extension:evil", dest: "app/extensions/evil", commit: evil, origin: "https://example.invalid/org/evil.git", fetched }], root, "linux-x64").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe("GIT");
    expect(await readdir(root)).toEqual([]);
  });

  it("fails the build naming the repository, each link and its target, and leaves nothing finished-looking in dist/", async () => {
    const out = join(tmp, "dist-evil");
    const recipe = await recipeWith("evil", "evil", evil);
    const err = await buildBundle({ recipe, cacheDir: join(tmp, "cache"), outDir: out, launcher: false, builderVersion: "test", format: "zip" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    const e = err as BundleError;
    expect(e.code).toBe("GIT");
    expect(e.message).toMatch(/^2 symbolic link\(s\) in the recipe's repositories point outside the bundle:/);
    expect(e.message).toContain(`extension:evil (app/extensions/evil at ${evil.slice(0, 12)}): passwd -> /etc/passwd (an absolute path)`);
    expect(e.message).toContain("sneaky -> up/../../etc/hostname (it climbs above the bundle's root)");
    expect(e.message).not.toContain("docs/readme");
    expect(e.hint).toMatch(/self-contained/);
    expect(await readdir(out)).toEqual([]);
  }, 120_000);

  it("keeps links that stay inside the bundle, in the folder and in the archive", async () => {
    const out = join(tmp, "dist-linky");
    const recipe = await recipeWith("linky", "linky", linky);
    const r = await buildBundle({ recipe, cacheDir: join(tmp, "cache"), outDir: out, launcher: false, builderVersion: "test", format: "zip" });
    const ext = join(r.bundleDir, "app", "extensions", "linky");
    expect(await readlink(join(ext, "docs", "readme"))).toBe("../README.md");
    expect(await readlink(join(ext, "models"))).toBe("../../models");
    expect((await lstat(join(ext, "b.py"))).isSymbolicLink()).toBe(true);
    const entries = await listZip(r.archives[0]!.files[0]!.path);
    const link = entries.find((x) => x.name.endsWith("app/extensions/linky/docs/readme"));
    expect(link && link.mode & 0o170000).toBe(0o120000);
  }, 120_000);
});
