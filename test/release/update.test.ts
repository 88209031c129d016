// Updates between releases, for real: two releases of a hand-made bundle, `bundle delta` between
// them, and the launcher (run from source, as a real process) applying the update, killed at every
// step of the apply, and rolling back. User files and files the app may change are never touched.

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { BundleJson, ManifestEntry } from "../../src/contract/bundle-json.ts";
import { parseUpdateJson } from "../../src/contract/update-json.ts";
import { makeDelta } from "../../src/release/delta.ts";
import { parseArgs } from "../../src/launcher/runtime/args.ts";
import { makeFixtureBundle } from "../launcher/fixture.ts";
import { tempDir } from "../helpers/tmp.ts";
import { runCli } from "../helpers/cli.ts";

const MAIN = join(import.meta.dirname, "../../src/launcher/runtime/main.ts");
const PKG = "python/lib/site-packages/pkg";
const USER_FILES: Record<string, string> = { "app/models/my-model.safetensors": "the user's own model", "app/outputs/00001.png": "an image the user made" };

let tmp: string;
let oldDir: string;
let newDir: string;
let updateFile: string;
let oldBj: Buffer;
let newBj: Buffer;

async function manifestOf(root: string): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name !== "bundle.json" || dir !== root) {
        const data = await readFile(p);
        const entry: ManifestEntry = { path: relative(root, p), size: data.length, sha256: createHash("sha256").update(data).digest("hex") };
        if ((await stat(p)).mode & 0o111) entry.exec = true;
        out.push(entry);
      }
    }
  };
  await walk(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function rewriteBundleJson(root: string, version: string): Promise<void> {
  const bj = JSON.parse(await readFile(join(root, "bundle.json"), "utf8")) as BundleJson;
  bj.version = version;
  bj.launcher.version = version;
  bj.files = await manifestOf(root);
  await writeFile(join(root, "bundle.json"), JSON.stringify(bj, null, 2));
}

function launcher(root: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [MAIN, ...args], { env: { ...process.env, GREENBUNDLE_BUNDLE_ROOT: root, GREENBUNDLE_NO_PAUSE: "1", LANG: "C.UTF-8", ...env }, encoding: "utf8" });
}

/** Which release the tree is, complete: every file of its manifest with its sha256, bundle.json byte for byte. */
async function releaseOf(root: string): Promise<"old" | "new" | "broken"> {
  const text = await readFile(join(root, "bundle.json")).catch(() => Buffer.alloc(0));
  const which = text.equals(oldBj) ? "old" : text.equals(newBj) ? "new" : undefined;
  if (!which) return "broken";
  const bj = JSON.parse(text.toString("utf8")) as BundleJson;
  for (const f of bj.files) {
    if (f.path === "app/config.json") continue; // the app may change it (verify.allow_changes)
    const data = await readFile(join(root, f.path)).catch(() => undefined);
    if (!data || createHash("sha256").update(data).digest("hex") !== f.sha256) return "broken";
  }
  const other = JSON.parse((which === "old" ? newBj : oldBj).toString("utf8")) as BundleJson;
  const mine = new Set(bj.files.map((f) => f.path));
  for (const f of other.files) if (!mine.has(f.path) && (await stat(join(root, f.path)).catch(() => undefined))) return "broken"; // a file of the other release left behind
  return which;
}

async function userFilesIntact(root: string): Promise<boolean> {
  for (const [p, text] of Object.entries(USER_FILES)) if ((await readFile(join(root, p), "utf8").catch(() => "")) !== text) return false;
  return (await readFile(join(root, "app/config.json"), "utf8")) === '{"theme": "dark", "set by": "the user"}\n';
}

/** A fresh copy of the old release as a user has it: their own files added, a setting changed. */
async function installOld(at: string): Promise<string> {
  await cp(oldDir, at, { recursive: true, verbatimSymlinks: true });
  for (const [p, text] of Object.entries(USER_FILES)) {
    await mkdir(join(at, p, ".."), { recursive: true });
    await writeFile(join(at, p), text);
  }
  await writeFile(join(at, "app/config.json"), '{"theme": "dark", "set by": "the user"}\n');
  return at;
}

describe("the launcher's command line for updates", () => {
  it("takes --update FILE, --rollback, and an update file as the only argument (a drop onto launcher.exe)", () => {
    expect(parseArgs(["--update", "a.update.zip"])).toEqual({ ok: true, args: expect.objectContaining({ update: "a.update.zip" }) });
    expect(parseArgs(["C:\\Users\\me\\Downloads\\demo-1.0-to-1.1-win-x64.UPDATE.zip"])).toEqual({ ok: true, args: expect.objectContaining({ update: "C:\\Users\\me\\Downloads\\demo-1.0-to-1.1-win-x64.UPDATE.zip" }) });
    expect(parseArgs(["--rollback"])).toEqual({ ok: true, args: expect.objectContaining({ rollback: true }) });
    expect(parseArgs(["notes.zip"]).ok).toBe(false);
    expect(parseArgs(["--update"])).toMatchObject({ ok: false, error: expect.stringContaining("--update needs the update file") });
    expect(parseArgs(["--update", "a.update.zip", "--check"])).toMatchObject({ ok: false, error: "--update and --rollback go alone" });
  });
});

describe("bundle delta and launcher --update / --rollback", () => {
  beforeAll(async () => {
    tmp = await tempDir("gb-update-");
    oldDir = join(tmp, "fixture-1.0.0-r1-linux-x64");
    await makeFixtureBundle(oldDir, { port: 7861 });
    await mkdir(join(oldDir, PKG), { recursive: true });
    for (let i = 0; i < 8; i++) await writeFile(join(oldDir, PKG, `m${i}.py`), `VERSION = "1.0"  # module ${i}\n`);
    await writeFile(join(oldDir, PKG, "gone.py"), "removed in r2\n");
    await rewriteBundleJson(oldDir, "1.0.0-r1");
    newDir = join(tmp, "fixture-1.0.0-r2-linux-x64");
    await cp(oldDir, newDir, { recursive: true });
    // the app's commit and a wheel change; one file goes, one comes; config.json changes too (allowed to differ)
    await writeFile(join(newDir, "app", "app.py"), (await readFile(join(newDir, "app", "app.py"), "utf8")) + "# r2\n");
    for (let i = 0; i < 8; i++) await writeFile(join(newDir, PKG, `m${i}.py`), `VERSION = "2.0"  # module ${i}\n`);
    await rm(join(newDir, PKG, "gone.py"));
    await writeFile(join(newDir, PKG, "added.py"), "new in r2\n");
    await writeFile(join(newDir, "app", "config.json"), '{"new default": true}\n');
    await rewriteBundleJson(newDir, "1.0.0-r2");
    oldBj = await readFile(join(oldDir, "bundle.json"));
    newBj = await readFile(join(newDir, "bundle.json"));
    const r = await makeDelta({ old: oldDir, new: newDir, outDir: join(tmp, "dist") });
    updateFile = r.file;
  }, 120_000);

  it("writes <name>-<old>-to-<new>-<platform>.update.zip with update.json, the changed files and a SHA256SUMS line", async () => {
    expect(updateFile).toBe(join(tmp, "dist", "fixture-1.0.0-r1-to-1.0.0-r2-linux-x64.update.zip"));
    const list = execFileSync("unzip", ["-Z1", updateFile], { encoding: "utf8" }).trim().split("\n").sort();
    expect(list.filter((n) => !n.endsWith("/"))).toEqual(["bundle.json", "files/app/app.py", "files/app/config.json", `files/${PKG}/added.py`, ...Array.from({ length: 8 }, (_, i) => `files/${PKG}/m${i}.py`), "update.json"].sort());
    const u = parseUpdateJson(execFileSync("unzip", ["-p", updateFile, "update.json"], { encoding: "utf8" }));
    expect(u).toMatchObject({ name: "fixture", platform: "linux-x64", from: "1.0.0-r1", to: "1.0.0-r2" });
    expect(u.from_manifest).toBe(createHash("sha256").update(oldBj).digest("hex"));
    expect(u.files.find((f) => f.path === `${PKG}/gone.py`)).toMatchObject({ new: null });
    expect(u.files.find((f) => f.path === `${PKG}/added.py`)).toMatchObject({ old: null });
    const sum = createHash("sha256").update(await readFile(updateFile)).digest("hex");
    expect(await readFile(join(tmp, "dist", "SHA256SUMS"), "utf8")).toContain(`${sum}  fixture-1.0.0-r1-to-1.0.0-r2-linux-x64.update.zip`);
  });

  it("bundle delta refuses two bundles of different names (exit 2)", async () => {
    const other = join(tmp, "other");
    await cp(newDir, other, { recursive: true });
    const bj = JSON.parse(await readFile(join(other, "bundle.json"), "utf8")) as BundleJson;
    bj.name = "another";
    await writeFile(join(other, "bundle.json"), JSON.stringify(bj));
    const r = await runCli(["delta", oldDir, other, "--out", join(tmp, "x")], { cwd: tmp });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("an update goes between two releases of one bundle");
  });

  it("applies the update: the tree is the new release, user files and allowed changes untouched, the log says so; --rollback restores the old manifest exactly", async () => {
    const root = await installOld(join(tmp, "apply"));
    const r = launcher(root, ["--update", updateFile]);
    expect(r.stdout + r.stderr).toContain("Updated from 1.0.0-r1 to 1.0.0-r2");
    expect(r.status).toBe(0);
    expect(await releaseOf(root)).toBe("new");
    expect(await userFilesIntact(root)).toBe(true);
    expect(await readFile(join(root, "logs", "updates.log"), "utf8")).toMatch(/updated fixture 1\.0\.0-r1 → 1\.0\.0-r2/);
    // the same file again: nothing to do
    expect(launcher(root, ["--update", updateFile]).status).toBe(0);
    const back = launcher(root, ["--rollback"]);
    expect(back.status).toBe(0);
    expect(await releaseOf(root)).toBe("old");
    expect(await userFilesIntact(root)).toBe(true);
    expect((await manifestOf(root)).filter((f) => !f.path.startsWith(".update/") && !f.path.startsWith("logs/") && !(f.path in USER_FILES) && f.path !== "app/config.json").map((f) => [f.path, f.sha256])).toEqual(
      (JSON.parse(oldBj.toString("utf8")) as BundleJson).files.filter((f) => f.path !== "app/config.json").map((f) => [f.path, f.sha256]),
    );
    // a second rollback goes forward again
    expect(launcher(root, ["--rollback"]).status).toBe(0);
    expect(await releaseOf(root)).toBe("new");
  }, 60_000);

  it("a file dropped onto the launcher (its only argument) is applied as with --update; another bundle's update exits 2, a changed file 1, and nothing changes", async () => {
    const root = await installOld(join(tmp, "drop"));
    await writeFile(join(root, "app", "app.py"), "print('edited by the user')\n");
    const changed = launcher(root, [updateFile]);
    expect(changed.status).toBe(1);
    expect(changed.stderr).toContain("app/app.py");
    expect(await readFile(join(root, "bundle.json"))).toEqual(oldBj);
    await cp(join(oldDir, "app", "app.py"), join(root, "app", "app.py"));
    const applied = launcher(root, [updateFile], { LANG: "zh_CN.UTF-8" });
    expect(applied.stdout).toContain("已从 1.0.0-r1 更新到 1.0.0-r2");
    expect(applied.status).toBe(0);
    // now at r2: the r1 → r2 update is not for it, and another bundle's is not either
    const again = await installOld(join(tmp, "foreign"));
    const bj = JSON.parse(await readFile(join(again, "bundle.json"), "utf8")) as BundleJson;
    bj.name = "someone-else";
    await writeFile(join(again, "bundle.json"), JSON.stringify(bj));
    const foreign = launcher(again, ["--update", updateFile]);
    expect(foreign.status).toBe(2);
    expect(foreign.stderr).toContain("this bundle is someone-else linux-x64");
  }, 60_000);

  /**
   * Kills the launcher after step 1, 2, … of `args` (each in a fresh copy made by `prepare`) until
   * a run gets past the last step; after each kill, one launcher run must leave the release it
   * started from or the one it was going to, complete, with the user's files intact and no journal,
   * and running `args` again from there must reach `to`. Returns the kill points tried and how
   * each ended.
   */
  async function killTrials(name: string, prepare: (root: string) => Promise<unknown>, args: string[], to: "old" | "new") {
    const seen = { old: 0, new: 0 };
    let n = 1;
    for (; n < 200; n++) {
      const root = join(tmp, `${name}-${n}`);
      await prepare(root);
      const r = launcher(root, args, { GREENBUNDLE_UPDATE_KILL_AFTER: String(n) });
      if (r.signal !== "SIGKILL") {
        expect(r.status).toBe(0); // past the last step: it ran to its end
        expect(await releaseOf(root)).toBe(to);
        break;
      }
      const next = launcher(root, ["--version"]);
      expect(next.status, next.stderr).toBe(0);
      const which = await releaseOf(root);
      expect(which, `killed after step ${n}`).not.toBe("broken");
      seen[which as "old" | "new"]++;
      expect(await userFilesIntact(root)).toBe(true);
      expect(await stat(join(root, ".update", "journal.json")).catch(() => undefined)).toBeUndefined();
      if (which !== to) expect(launcher(root, args).status).toBe(0);
      expect(await releaseOf(root)).toBe(to);
      await rm(root, { recursive: true, force: true });
    }
    console.log(`${name}: ${n - 1} kill points, ${seen.old} ended old, ${seen.new} ended new`);
    return { points: n - 1, ...seen };
  }

  it("killed after every step of the apply, the next launcher run leaves the old or the new release complete, user files intact", async () => {
    const t = await killTrials("kill-during-apply", installOld, ["--update", updateFile], "new");
    expect(t.points).toBeGreaterThanOrEqual(20);
    expect(t.old).toBeGreaterThan(0);
    expect(t.new).toBeGreaterThan(0);
  }, 300_000);

  it("killed after every step of a rollback, the next launcher run leaves the new or the old release complete, user files intact", async () => {
    // one updated release, copied for each kill point (with .update/ and the files it keeps)
    const updated = await installOld(join(tmp, "kill-back-updated"));
    expect(launcher(updated, ["--update", updateFile]).status).toBe(0);
    const t = await killTrials("kill-during-rollback", (root) => cp(updated, root, { recursive: true, verbatimSymlinks: true }), ["--rollback"], "old");
    expect(t.points).toBeGreaterThanOrEqual(10);
    expect(t.old).toBeGreaterThan(0);
    expect(t.new).toBeGreaterThan(0);
  }, 300_000);
});
