// bundle lock <recipe> [--platform P] [--cache DIR] [--offline] [--jobs N] [--json]

import { intFlag } from "../args.ts";
import type { CliContext } from "../context.ts";

export async function run(ctx: CliContext): Promise<number> {
  const jobs = intFlag(ctx.flags, "jobs", 8); // a usage error before any work
  const { loadRecipe } = await import("../../recipe/load.ts");
  const { choosePlatform } = await import("../../plan/plan.ts");
  const { lockRecipe } = await import("../../lock/lock.ts");
  const { cacheDirFrom } = await import("../../cache/index.ts");
  const loaded = await loadRecipe(ctx.args[0]!);
  const platform = ctx.flags.platform as string | undefined;
  const report = await lockRecipe({
    loaded,
    ...(platform !== undefined ? { platforms: [choosePlatform(loaded.recipe, platform)] } : {}),
    cacheDir: cacheDirFrom(ctx.flags, ctx.env, ctx.cwd),
    emit: ctx.emit,
    signal: ctx.signal,
    env: ctx.env,
    offline: ctx.flags.offline === true,
    jobs,
  });
  for (const w of report.warnings) ctx.emit({ type: "warning", message: w });
  if (ctx.json) {
    ctx.out(JSON.stringify({ file: report.nothing ? null : report.file, changed: report.changed, platforms: report.stats, warnings: report.warnings, ...(report.nothing ? { nothing: report.nothing } : {}) }, null, 2));
    return 0;
  }
  if (report.nothing) {
    ctx.out(report.nothing);
    return 0;
  }
  const lines = report.stats.map((s) => {
    const via = Object.entries(s.metadata).map(([k, n]) => `${n} ${k}`).join(", ");
    return `  ${s.platform}: ${s.wheels} wheels${s.sdists ? ` (${s.sdists} built from source)` : ""}, ${s.artifacts} pinned artifact(s)${via ? `; metadata read via ${via}` : ""}`;
  });
  ctx.out([`${report.changed ? "wrote" : "unchanged:"} ${report.file}`, ...lines].join("\n"));
  return 0;
}
