// bundle cache ls|verify|gc [recipe...] [--cache DIR] [--older-than DAYS] [--dry-run] [--json]

import { Cache, cacheDirFrom, gcCache, listEntries, verifyCache, type Entry } from "../../cache/index.ts";
import { BundleError } from "../../core/errors.ts";
import { makePlan } from "../../plan/plan.ts";
import { loadRecipe } from "../../recipe/load.ts";
import type { CliContext } from "../context.ts";
import { fmtBytes } from "../render.ts";

export async function run(ctx: CliContext): Promise<number> {
  const cache = new Cache(cacheDirFrom(ctx.flags, ctx.env, ctx.cwd));
  const [action, ...recipes] = ctx.args;
  if (action !== "gc" && (recipes.length || ctx.flags["older-than"] !== undefined || ctx.flags["dry-run"])) {
    throw new BundleError("USAGE", `bundle cache ${action} takes no recipes, --older-than or --dry-run`, { hint: "they belong to `bundle cache gc`" });
  }
  if (action === "ls") return ls(ctx, cache);
  if (action === "verify") return verify(ctx, cache);
  return gc(ctx, cache, recipes);
}

export function age(ms: number): string {
  const s = Math.max(0, ms / 1000);
  if (s < 60) return "now";
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

function entryJson(e: Entry) {
  return { sha256: e.sha256, size: e.size, path: e.path, added: new Date(e.added).toISOString(), lastUsed: new Date(e.lastUsed).toISOString(), url: e.url, from: e.from, keys: e.keys };
}

async function ls(ctx: CliContext, cache: Cache): Promise<number> {
  const entries = (await listEntries(cache)).sort((a, b) => b.lastUsed - a.lastUsed);
  const total = entries.reduce((n, e) => n + e.size, 0);
  if (ctx.json) {
    ctx.out(JSON.stringify({ cache: cache.dir, entries: entries.map(entryJson), bytes: total }, null, 2));
    return 0;
  }
  const now = Date.now();
  const rows = entries.map((e) => [e.sha256.slice(0, 12), fmtBytes(e.size), age(now - e.lastUsed), e.url ?? e.keys[0] ?? (e.from ? `from ${e.from.slice(0, 12)}` : "")]);
  const head = ["SHA256", "SIZE", "USED", "SOURCE"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 1 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join("  ").trimEnd();
  ctx.out([`${cache.dir}: ${entries.length} blob(s), ${fmtBytes(total)}`, ...(rows.length ? ["", fmt(head), ...rows.map(fmt)] : [])].join("\n"));
  return 0;
}

async function verify(ctx: CliContext, cache: Cache): Promise<number> {
  const r = await verifyCache(cache, { emit: ctx.emit, signal: ctx.signal });
  if (ctx.json) ctx.out(JSON.stringify({ cache: cache.dir, checked: r.checked, bytes: r.bytes, corrupt: r.corrupt }, null, 2));
  else {
    ctx.out(`${cache.dir}: ${r.checked} blob(s) re-hashed (${fmtBytes(r.bytes)}), ${r.corrupt.length} corrupt${r.corrupt.length ? " and evicted:" : ""}`);
    for (const c of r.corrupt) ctx.out(`  ${c.path}: ${c.problem}`);
  }
  if (r.corrupt.length) {
    throw new BundleError("CACHE", `${r.corrupt.length} corrupt blob(s) were evicted from ${cache.dir}`, { hint: "`bundle fetch <recipe>` downloads them again; if this repeats, check the disk" });
  }
  return 0;
}

async function gc(ctx: CliContext, cache: Cache, recipes: string[]): Promise<number> {
  const days = ctx.flags["older-than"];
  let olderThanMs: number | undefined;
  if (days !== undefined) {
    const n = Number(days);
    if (typeof days !== "string" || !Number.isFinite(n) || n < 0) throw new BundleError("USAGE", `--older-than must be a number of days ≥ 0 (got "${String(days)}")`);
    olderThanMs = n * 86_400_000;
  }
  if (!recipes.length && olderThanMs === undefined) {
    throw new BundleError("USAGE", "bundle cache gc needs recipes to keep, or --older-than DAYS", {
      hint: "e.g. `bundle cache gc recipes/sd-webui-a1111.yml` keeps what that recipe needs (all platforms) and drops the rest",
    });
  }
  const keep = recipes.length ? await neededDigests(recipes) : undefined;
  const dryRun = ctx.flags["dry-run"] === true;
  const r = await gcCache(cache, { keep, olderThanMs, now: Date.now(), dryRun });
  if (ctx.json) ctx.out(JSON.stringify({ cache: cache.dir, dryRun, removed: r.removed.map(entryJson), freed: r.freed, tmpRemoved: r.tmpRemoved }, null, 2));
  else {
    ctx.out(`${dryRun ? "would remove" : "removed"} ${r.removed.length} blob(s), ${fmtBytes(r.freed)}${r.tmpRemoved.length ? `, and ${r.tmpRemoved.length} partial/temporary file(s)` : ""}`);
    if (dryRun || ctx.verbose) for (const e of r.removed) ctx.out(`  ${e.sha256.slice(0, 12)}  ${fmtBytes(e.size)}  ${e.url ?? e.keys[0] ?? ""}`);
  }
  return 0;
}

/** Every sha256 the recipes need, on every platform they list (the plan includes locked wheels and "lock" hashes). */
async function neededDigests(recipes: string[]): Promise<Set<string>> {
  const keep = new Set<string>();
  for (const file of recipes) {
    const loaded = await loadRecipe(file);
    for (const platform of loaded.recipe.platforms) {
      const plan = await makePlan({ loaded, platform });
      for (const a of plan.artifacts) if (a.sha256) keep.add(a.sha256.toLowerCase());
    }
  }
  return keep;
}
