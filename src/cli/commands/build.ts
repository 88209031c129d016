// bundle build <recipe> [--platform P] [--cache DIR] [--out DIR] [--offline] [--format zip|tar.gz|dir] [--locked] [--jobs N] [--segments N] [--segment-above SIZE]
// Lock what is missing or stale, fetch, assemble, build the launcher and pack; the work is in
// src/assemble/build.ts, this prints the outcome.

import { resolve } from "node:path";
import { buildBundle, type BuildFormat, type BuildResult } from "../../assemble/build.ts";
import { cacheDirFrom } from "../../cache/index.ts";
import { thisHost } from "../../core/platform.ts";
import { intFlag, segmentFlags } from "../args.ts";
import type { CliContext } from "../context.ts";
import { greenbundleVersion } from "../version.ts";
import { fmtBytes } from "../render.ts";

export async function run(ctx: CliContext): Promise<number> {
  const result = await buildBundle({
    recipe: ctx.args[0]!,
    ...(typeof ctx.flags.platform === "string" ? { platform: ctx.flags.platform } : {}),
    cacheDir: cacheDirFrom(ctx.flags, ctx.env, ctx.cwd),
    outDir: resolve(ctx.cwd, typeof ctx.flags.out === "string" ? ctx.flags.out : "dist"),
    offline: ctx.flags.offline === true,
    ...(typeof ctx.flags.format === "string" ? { format: ctx.flags.format as BuildFormat } : {}),
    locked: ctx.flags.locked === true,
    jobs: intFlag(ctx.flags, "jobs", 8),
    ...segmentFlags(ctx.flags),
    builderVersion: greenbundleVersion(),
    host: thisHost(),
    emit: ctx.emit,
    signal: ctx.signal,
    env: ctx.env,
  });
  ctx.out(ctx.json ? JSON.stringify(resultJson(result), null, 2) : summary(result));
  return 0;
}

export function resultJson(r: BuildResult) {
  return {
    bundle: r.bundleName,
    dir: r.bundleDir,
    archives: r.archives,
    downloaded: r.downloaded,
    files: r.bundleJson.files.length,
    bytes: r.bundleJson.files.reduce((n, f) => n + f.size, 0),
    components: r.bundleJson.components.length,
    placed: r.placed,
    linkStrategy: r.linkStrategy ?? null,
    extensionNeeds: r.unmet,
    lint: r.lint,
    warnings: r.warnings,
    lock: r.lock ? { action: r.lock.action, file: r.lock.file ?? null, platforms: r.lock.platforms } : null,
  };
}

function summary(r: BuildResult): string {
  const bytes = r.bundleJson.files.reduce((n, f) => n + f.size, 0);
  const lines = [
    `built ${r.bundleName}: ${r.bundleJson.files.length} files, ${fmtBytes(bytes)}, ${r.bundleJson.components.length} components`,
    `  folder:  ${r.bundleDir}`,
    ...r.archives.flatMap((a) => a.files.map((f, i) => `  ${a.files.length > 1 ? `volume ${i + 1}/${a.files.length}` : "archive"}: ${f.path}${i === 0 ? ` (${fmtBytes(a.size)} in all)` : ""}\n           sha256 ${f.sha256}`)),
    `  ${r.downloaded ? `${r.downloaded} download(s)` : "everything came from the cache"}; files ${r.placed.hardlink} hardlinked, ${r.placed.reflink} reflinked, ${r.placed.copy} copied`,
  ];
  if (r.lock?.action === "written") lines.push(`  lock:    wrote ${r.lock.file} (resolved for ${r.lock.platforms.join(", ")})`);
  if (r.unmet.length) lines.push(`  ${r.unmet.length} package(s) named by extensions are not in the wheel set (see the warnings above)`);
  if (r.warnings.length) lines.push(`  ${r.warnings.length} warning(s)`);
  return lines.join("\n");
}
