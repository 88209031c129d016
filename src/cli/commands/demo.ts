// bundle demo [--app a1111|comfyui|script] [--out DIR] [--cache DIR] — the README's main command.
// Starts the local world on 127.0.0.1, writes a recipe that extends the app's demo recipe
// (recipes/demo.yml for the default WebUI stand-in) with the world's mirrors, then runs the real
// pipeline a user would run — the lock, the build (`--format zip --locked`) and `bundle verify` —
// through the same functions those commands call. Ends by saying where the archive and the report are.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { buildBundle } from "../../assemble/build.ts";
import { prepareOutDir } from "../../assemble/dist.ts";
import { cacheDirFrom } from "../../cache/index.ts";
import { BundleError } from "../../core/errors.ts";
import { hostPlatform, thisHost } from "../../core/platform.ts";
import { isDemoApp, type DemoApp } from "../../demo/apps.ts";
import { demoRecipeOf, startDemoWorld, writeDemoRecipe } from "../../demo/world.ts";
import type { CliContext } from "../context.ts";
import { lockRecipe } from "../../lock/lock.ts";
import { loadRecipe } from "../../recipe/load.ts";
import { fmtBytes } from "../render.ts";
import { greenbundleVersion } from "../version.ts";
import { failure, runVerify } from "./verify.ts";

const secs = (t: number) => Math.round((performance.now() - t) / 100) / 10;

export async function run(ctx: CliContext): Promise<number> {
  if (hostPlatform() !== "linux-x64") {
    throw new BundleError("USAGE", `bundle demo builds a linux-x64 bundle from this machine's Python and boots it; this machine is ${process.platform}-${process.arch}`, {
      hint: "run the demo on Linux x64 (a container or WSL works); on Windows, build and verify a real recipe instead",
    });
  }
  const t0 = performance.now();
  const app: DemoApp = typeof ctx.flags.app === "string" && isDemoApp(ctx.flags.app) ? ctx.flags.app : "a1111";
  const out = resolve(ctx.cwd, typeof ctx.flags.out === "string" ? ctx.flags.out : "dist");
  const cache = cacheDirFrom(ctx.flags, ctx.env, ctx.cwd);
  await prepareOutDir(out); // before the world starts: a wrong --out is said at once
  const work = await mkdtemp(join(tmpdir(), "greenbundle-demo-"));
  const times: Record<string, number> = {};
  const stage = async <T>(name: string, detail: string, fn: () => Promise<T>): Promise<T> => {
    ctx.emit({ type: "stage", stage: `demo: ${name}`, status: "start", detail });
    const t = performance.now();
    const r = await fn();
    times[name] = secs(t);
    ctx.emit({ type: "stage", stage: `demo: ${name}`, status: "done", detail: `${times[name]} s` });
    return r;
  };
  const world = await stage("world", "package index, git server, model files, Python runtime and Node archive on 127.0.0.1", () => startDemoWorld({ dir: join(work, "world"), emit: ctx.emit }));
  try {
    const recipe = await writeDemoRecipe(world, join(work, "recipe"), demoRecipeOf(app), app);
    if (world.realWheels.length === 0) ctx.emit({ type: "info", message: "no Debian wheels in /usr/share/python-wheels: the demo uses generated wheels only" });
    const run = { emit: ctx.emit, signal: ctx.signal, env: ctx.env };
    const locked = await stage("lock", recipe, async () => lockRecipe({ loaded: await loadRecipe(recipe), cacheDir: cache, ...run }));
    ctx.emit({ type: "info", message: `${locked.changed ? "wrote" : "unchanged:"} ${locked.file}` });
    const built = await stage("build", recipe, () => buildBundle({ recipe, cacheDir: cache, outDir: out, format: "zip", locked: true, builderVersion: greenbundleVersion(), host: thisHost(), ...run }));
    const zip = built.archives.find((x) => x.format === "zip");
    if (!zip) throw new BundleError("BUILD", `bundle build made no archive for ${built.bundleName}`, { hint: "is packing available in this build of greenbundle?" });
    const archive = zip.files[0]!.path;
    const vctx: CliContext = { ...ctx, flags: { gpu: "auto", report: join(out, `verify-${built.bundleName}`) }, out: ctx.json ? () => {} : ctx.out };
    const verified = await stage("verify", archive, () => runVerify(vctx, archive, { reportLine: false }));
    const total = secs(t0);
    const shown = (p: string) => (relative(ctx.cwd, p).startsWith("..") ? p : relative(ctx.cwd, p));
    const result = { ok: verified.ok, archive, archiveBytes: zip.size, report: join(verified.reportDir, "report.html"), seconds: { ...times, total }, realWheels: world.realWheels, python: world.python.version, pythonRelocation: world.python.relocation };
    if (ctx.json) ctx.out(JSON.stringify(result, null, 2));
    else {
      ctx.out(
        [
          "",
          `demo bundle: ${shown(archive)} (${fmtBytes(result.archiveBytes)})`,
          `report:      ${shown(result.report)}`,
          `times:       world ${times.world} s · lock ${times.lock} s · build ${times.build} s · verify ${times.verify} s · total ${total} s`,
        ].join("\n"),
      );
    }
    if (!verified.ok) throw failure(verified);
    return 0;
  } finally {
    await world.close();
    await rm(work, { recursive: true, force: true });
  }
}
