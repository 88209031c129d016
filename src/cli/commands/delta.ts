// bundle delta <old> <new> [--out DIR]

import { resolve } from "node:path";
import { makeDelta } from "../../release/delta.ts";
import type { CliContext } from "../context.ts";

export async function run(ctx: CliContext): Promise<number> {
  const out = typeof ctx.flags.out === "string" ? resolve(ctx.cwd, ctx.flags.out) : undefined;
  const r = await makeDelta({ old: resolve(ctx.cwd, ctx.args[0]!), new: resolve(ctx.cwd, ctx.args[1]!), ...(out ? { outDir: out } : {}), signal: ctx.signal });
  if (ctx.json) ctx.out(JSON.stringify({ file: r.file, sha256: r.sha256, size: r.size, from: r.update.from, to: r.update.to, ...r.counts }, null, 2));
  else {
    ctx.out(
      [
        `update ${r.update.name} ${r.update.from} → ${r.update.to} (${r.update.platform}): ${r.counts.added} added, ${r.counts.changed} changed, ${r.counts.removed} removed`,
        `${r.file} (${(r.size / 2 ** 20).toFixed(1)} MiB), sha256 ${r.sha256} listed in SHA256SUMS`,
        `apply it: launcher --update ${r.file.split(/[\\/]/).pop()} (or drop it onto launcher.exe)`,
      ].join("\n"),
    );
  }
  return 0;
}
