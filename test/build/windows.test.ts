import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle, type BuildResult } from "../../src/assemble/build.ts";
import { isBundleError } from "../../src/core/errors.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeWorld, type World } from "./world.ts";

let world: World;
let tmp: string;
let win: BuildResult;

beforeAll(async () => {
  tmp = await tempDir("gb-win-");
  world = await makeWorld(tmp);
  win = await buildBundle({ recipe: world.winRecipe, cacheDir: join(tmp, "cache"), outDir: join(tmp, "dist"), launcher: false, builderVersion: "test" });
}, 300_000);
afterAll(async () => world?.close());

describe("a win-x64 bundle", () => {
  it("carries MinGit in git/ and tells the launcher to use git/cmd/git.exe", async () => {
    expect((await stat(join(win.bundleDir, "git", "cmd", "git.exe"))).isFile()).toBe(true);
    expect(win.bundleJson.launcher).toMatchObject({ git: "git/cmd/git.exe", python: "python/python.exe" });
    expect(win.bundleJson.components.find((c) => c.kind === "git")).toMatchObject({ dest: "git", license: "GPL-2.0", url: `${world.files.url}/git-for-windows/MinGit-2.48.1-64-bit.zip` });
    const notices = await readFile(join(win.bundleDir, "THIRD-PARTY-NOTICES.txt"), "utf8");
    expect(notices).toContain("GNU GENERAL PUBLIC LICENSE");
  });

  it("unpacks the embeddable Python with its ._pth opened for site-packages and the app", async () => {
    expect((await stat(join(win.bundleDir, "python", "python.exe"))).isFile()).toBe(true);
    expect(await readFile(join(win.bundleDir, "python", "python310._pth"), "utf8")).toMatch(/import site/);
    expect(await readdir(join(win.bundleDir, "python", "Lib", "site-packages"))).toContain("demo_pkg");
  });

  it("writes checkouts with the config Git for Windows expects and texts Notepad reads", async () => {
    const cfg = await readFile(join(win.bundleDir, "app", ".git", "config"), "utf8");
    expect(cfg).toContain("filemode = false");
    expect(cfg).toContain("symlinks = false");
    const readme = await readFile(join(win.bundleDir, "README.txt"), "utf8");
    expect(readme.startsWith("\ufeff")).toBe(true);
    expect(readme).toContain("\r\n");
    expect(readme).toContain("双击 launcher.exe");
    expect(readme).toContain("Git is included");
    expect(win.bundleJson.files.some((f) => f.exec)).toBe(false);
  });

  it("fails the build on names Windows cannot hold, listing each offending path, and leaves nothing in dist", async () => {
    const out = join(tmp, "dist-bad");
    const err = await buildBundle({ recipe: world.winBadRecipe, cacheDir: join(tmp, "cache"), outDir: out, launcher: false, builderVersion: "test" }).catch((e: unknown) => e);
    expect(isBundleError(err) && err.code).toBe("BUILD");
    const msg = (err as Error).message;
    expect(msg).toContain("app/repositories/bad/aux.txt");
    expect(msg).toContain("app/repositories/bad/README.md ≈ app/repositories/bad/Readme.md");
    expect(msg).toMatch(/app\/repositories\/bad\/(deep-folder-name\/)+file\.txt: path is \d+ characters long/);
    expect(await readdir(out)).toEqual([]);
  }, 300_000);
});

describe("bundle build on the command line", () => {
  it("fails at once with one list of what is missing when the real recipe is built --offline with an empty cache", async () => {
    const empty = await tempDir();
    const r = await runCli(["build", "recipes/sd-webui-a1111.yml", "--platform", "win-x64", "--offline", "--cache", join(empty, "cache"), "--out", join(empty, "dist")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: --offline: \d+ of \d+ artifact\(s\) of sd-webui-a1111-1\.10\.1-r1-win-x64 are not available/);
    expect(r.stderr).toContain("no pinned sha256 yet");
    expect(r.stderr).toContain("git: sha256 11e8f462726827acccc7ecdad541f2544cbe5506d70fef4fa1ffac7c16288709");
    expect(r.stderr).toContain("repo:webui: commit 82a973c04367123ae98bd9abdf80d9eda9b910e2");
    expect(r.stderr).toContain("hint:");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await readdir(empty)).toEqual([]);
  });

  it("checks the signing settings (BUNDLE_SIGN_CERT/_KEY) before any download, exit 2", async () => {
    const empty = await tempDir();
    const args = ["build", "recipes/sd-webui-a1111.yml", "--platform", "win-x64", "--offline", "--cache", join(empty, "cache"), "--out", join(empty, "dist")];
    const missing = await runCli(args, { env: { ...process.env, BUNDLE_SIGN_CERT: join(empty, "nope.pem"), BUNDLE_SIGN_KEY: join(empty, "nope.key") } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`BUNDLE_SIGN_CERT=${join(empty, "nope.pem")} is not a file`);
    const noKey = await runCli(args, { env: { ...process.env, BUNDLE_SIGN_CERT: join(empty, "cert.pem") } });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("so BUNDLE_SIGN_KEY must name its private key");
    expect(await readdir(empty)).toEqual([]);
  });

  it("refuses --locked when the lock is missing, listing what is not pinned (exit 2: the inputs are not what --locked demands)", async () => {
    const empty = await tempDir();
    const r = await runCli(["build", "recipes/sd-webui-a1111.yml", "--platform", "win-x64", "--locked", "--cache", join(empty, "cache"), "--out", join(empty, "dist")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--locked");
    expect(r.stderr).toContain("sd-webui-a1111.lock.json does not exist");
    expect(r.stderr).toContain("python has no pinned sha256");
  });
});
