// bundle demo [--app a1111|comfyui|script] [--out DIR] [--cache DIR] — the README's main command.
// Starts the local world on 127.0.0.1, writes a recipe that extends the app's demo recipe
// (recipes/demo.yml for the default WebUI stand-in) with the world's mirrors, then runs the real
// pipeline through the very command implementations a user would run: `bundle lock` →
// `bundle build --format zip` → `bundle verify`. Ends by saying where the archive and the report are.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { prepareOutDir } from "../../assemble/dist.ts";
import { cacheDirFrom } from "../../cache/index.ts";
import { BundleError } from "../../core/errors.ts";
import { hostPlatform } from "../../core/platform.ts";
import { isDemoApp, type DemoApp } from "../../demo/apps.ts";
import { demoRecipeOf, startDemoWorld, writeDemoRecipe } from "../../demo/world.ts";
import type { CliContext } from "../context.ts";
import { fmtBytes } from "../render.ts";
import { IMPLEMENTATIONS } from "./index.ts";
import { failure, runVerify } from "./verify.ts";

interface BuildJson {
  bundle: string;
  dir: string;
  /** One entry per format; `files` lists its volumes (one unless package.split is set). */
  archives: { format?: string; size: number; path?: string; files?: { path: string; sha256: string }[] }[];
}

/** The zip the build made, from `bundle build --json` (older builds listed `path` directly). */
function zipOf(built: BuildJson): { path: string; size: number } | undefined {
  const a = built.archives.find((x) => (x.format ?? "zip") === "zip") ?? built.archives[0];
  const path = a?.files?.[0]?.path ?? a?.path;
  return a && path ? { path, size: a.size } : undefined;
}

const secs = (t: number) => Math.round((performance.now() - t) / 100) / 10;

/** Runs another command's implementation with its own arguments; its result text is returned, not printed. */
async function sub(ctx: CliContext, name: string, args: string[], flags: CliContext["flags"], json = false): Promise<string> {
  const load = IMPLEMENTATIONS[name];
  if (!load) throw new BundleError("BUILD", `bundle demo needs the \`${name}\` command, which this build of greenbundle does not have`);
  let text = "";
  const code = await (await load())({ ...ctx, args, flags: { ...flags, ...(ctx.verbose ? { verbose: true } : {}) }, json, out: (s) => (text += s.endsWith("\n") ? s : s + "\n") });
  if (code) throw new BundleError("BUILD", `bundle ${name} ${args.join(" ")} ended with exit code ${code}`);
  return text;
}

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
    const lockText = await stage("lock", recipe, () => sub(ctx, "lock", [recipe], { cache }));
    for (const line of lockText.trim().split("\n")) if (line) ctx.emit({ type: "info", message: line });
    const built = JSON.parse(await stage("build", recipe, () => sub(ctx, "build", [recipe], { cache, out, format: "zip", locked: true }, true))) as BuildJson;
    const zip = zipOf(built);
    if (!zip) throw new BundleError("BUILD", `bundle build made no archive for ${built.bundle}`, { hint: "is packing available in this build of greenbundle?" });
    const archive = zip.path;
    const vctx: CliContext = { ...ctx, flags: { gpu: "auto", report: join(out, `verify-${built.bundle}`) }, out: ctx.json ? () => {} : ctx.out };
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
