// Lifetimes: a real `bundle fetch` / `bundle build` process ends on its own once its result is
// out (bin/bundle.js has no forced exit: anything still holding the process would show here as a
// hang), and when one half of the build's downloads fails, the other half stops with it — its git
// children are killed instead of living on after the command has exited.
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/tmp.ts";
import { makeWorld, type World } from "./world.ts";

const bin = join(import.meta.dirname, "..", "..", "bin", "bundle.js");
/** Far below what holds a process that forgot something: undici's idle connections (10 s), git's stall timeout (60 s). */
const PROMPTLY_MS = 5_000;

let world: World;
let tmp: string;
/** The world's recipe with a Node archive URL that names no version: the launcher stage is skipped (it has its own tests). */
let recipe: string;

beforeAll(async () => {
  tmp = await tempDir("gb-lifetime-");
  world = await makeWorld(tmp);
  const text = await readFile(world.recipe, "utf8");
  const nodeUrl = /url: mirror:\/\/files(\/node\/v[^,]*linux-x64\.tar\.gz)/.exec(text)![1]!;
  world.files.setFile("/node/node-linux-x64.tar.gz", await fetch(`${world.files.url}${nodeUrl}`).then(async (r) => Buffer.from(await r.arrayBuffer())));
  recipe = join(tmp, "recipe", "lifetime.yml");
  await writeFile(recipe, text.replace(nodeUrl, "/node/node-linux-x64.tar.gz"));
}, 300_000);
afterAll(async () => world?.close());

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From the last byte it wrote to its exit. */
  lingeredMs: number;
  /** From the first stderr line matching `mark` to its exit. */
  afterMarkMs: number | undefined;
}

function run(args: string[], mark?: RegExp): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let last = Date.now();
    let marked: number | undefined;
    child.stdout.on("data", (d: Buffer) => ((stdout += d.toString()), (last = Date.now())));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      last = Date.now();
      if (mark && marked === undefined && mark.test(stderr)) marked = last;
    });
    child.on("exit", (code) => resolve({ code, stdout, stderr, lingeredMs: Date.now() - last, afterMarkMs: marked === undefined ? undefined : Date.now() - marked }));
  });
}

describe("process lifetimes", () => {
  it("bundle fetch, then bundle build, each exit on their own right after printing the result", async () => {
    const cache = join(tmp, "cache-ok");
    const fetched = await run(["fetch", recipe, "--cache", cache]);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stdout).toMatch(/^fetched 4 artifact\(s\) of world-1\.0\.0-linux-x64/);
    expect(fetched.lingeredMs).toBeLessThan(PROMPTLY_MS);
    const built = await run(["build", recipe, "--cache", cache, "--out", join(tmp, "dist-ok"), "--format", "zip"]);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toMatch(/^built world-1\.0\.0-linux-x64/);
    expect(built.lingeredMs).toBeLessThan(PROMPTLY_MS);
  }, 120_000);

  it("a build whose file download fails stops its git fetches too: no git child outlives it", async () => {
    const model = "/hf/org/model/resolve/main/model.bin";
    world.files.setFault(model, { status: 404, delayMs: 1500 }); // the only mirror lacks it: the build fails once git is busy
    world.m1.setFault({ hang: true }); // every git request is accepted and never answered
    world.m2.setFault({ hang: true });
    try {
      const r = await run(["build", recipe, "--cache", join(tmp, "cache-fail"), "--out", join(tmp, "dist-fail")], /FAIL file:app\/models\/model\.bin/);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/error: could not download file:app\/models\/model\.bin/);
      // It ends as soon as the download failed, not when git gives up waiting on its own.
      expect(r.afterMarkMs).toBeLessThan(PROMPTLY_MS);
      // A git child that lived on would keep its request open for its 60 s stall timeout.
      for (let i = 0; i < PROMPTLY_MS / 50 && world.m1.active() + world.m2.active() > 0; i++) await sleep(50);
      expect(world.m1.active() + world.m2.active()).toBe(0);
      expect(world.m1.log.length + world.m2.log.length).toBeGreaterThan(0); // the git fetches had started
      expect(r.lingeredMs).toBeLessThan(PROMPTLY_MS);
    } finally {
      world.files.setFault(model, undefined);
      world.m1.setFault(undefined);
      world.m2.setFault(undefined);
    }
  }, 120_000);
});
