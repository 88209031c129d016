import { spawn } from "node:child_process";
import { chmod, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../../src/assemble/build.ts";
import { exists } from "../../src/core/fs.ts";
import { isBundleError } from "../../src/core/errors.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeWorld, type World } from "./world.ts";

let world: World;
let tmp: string;
let cache: string;
let wrapperDir: string;
const bundle = "world-1.0.0-linux-x64";
const bin = join(import.meta.dirname, "..", "..", "bin", "bundle.js");

beforeAll(async () => {
  tmp = await tempDir("gb-interrupt-");
  world = await makeWorld(tmp);
  cache = join(tmp, "cache");
  // A `git` that hangs while writing a checkout: the build is then stuck inside the bundle folder
  // under construction, where an interruption matters. It touches a marker first, so the test
  // knows when to strike.
  wrapperDir = join(tmp, "slow-git");
  await mkdir(wrapperDir);
  const realGit = (await execa("sh", ["-c", "command -v git"])).stdout.trim();
  await writeFile(
    join(wrapperDir, "git"),
    `#!/bin/sh\ncase " $* " in *" checkout-index "*) : > "$SLOW_GIT_MARKER"; sleep 60 </dev/null >/dev/null 2>&1;; esac\nexec ${realGit} "$@"\n`,
  );
  await chmod(join(wrapperDir, "git"), 0o755);
}, 300_000);
afterAll(async () => world?.close());

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 1200 && !(await exists(path)); i++) await sleep(100);
  if (!(await exists(path))) throw new Error(`${path} never appeared`);
}

// A cache of its own for each CLI run: a checkout kept by an earlier build would be linked from
// the cache, and git would never be asked to write it.
function startCli(out: string, marker: string) {
  return spawn(process.execPath, [bin, "build", world.recipe, "--cache", `${out}-cache`, "--out", out, "--format", "dir"], {
    env: { ...process.env, PATH: `${wrapperDir}:${process.env.PATH}`, SLOW_GIT_MARKER: marker },
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
}

describe("an interrupted build", () => {
  it("stops on abort and leaves neither the bundle folder nor its temporary folder", async () => {
    const out = join(tmp, "aborted");
    const ctl = new AbortController();
    const err = await buildBundle({
      recipe: world.recipe, cacheDir: cache, outDir: out, launcher: false, builderVersion: "test", signal: ctl.signal,
      emit: (e) => {
        if (e.type === "stage" && e.stage === "files" && e.status === "start") ctl.abort(new Error("SIGINT"));
      },
    }).catch((e: unknown) => e);
    expect(isBundleError(err) && err.code).toBe("INTERRUPTED");
    expect(await readdir(out)).toEqual([]);
  }, 300_000);

  it("exits 130 on SIGINT in the middle of placing repositories, cleaning up after itself", async () => {
    const out = join(tmp, "sigint");
    const marker = join(tmp, "sigint.marker");
    const child = startCli(out, marker);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await waitFor(marker);
    expect((await readdir(out)).some((n) => n.includes(".partial-"))).toBe(true);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toContain("interrupted");
    expect(await readdir(out)).toEqual([]);
  }, 300_000);

  it("killed with SIGKILL leaves no finished-looking folder, and the next build removes the leftover", async () => {
    const out = join(tmp, "killed");
    const marker = join(tmp, "kill.marker");
    const child = startCli(out, marker);
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    await waitFor(marker);
    process.kill(-child.pid!, "SIGKILL");
    await exited;
    const left = await readdir(out);
    expect(left).not.toContain(bundle);
    expect(left).toEqual([`.${bundle}.partial-${child.pid}`]);
    const r = await buildBundle({ recipe: world.recipe, cacheDir: cache, outDir: out, launcher: false, builderVersion: "test" });
    expect(r.bundleDir).toBe(join(out, bundle));
    expect(await readdir(out)).toEqual([bundle]);
  }, 300_000);
});
