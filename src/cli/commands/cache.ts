// bundle cache ls|verify|gc [recipe...] [--cache DIR] [--older-than DAYS] [--dry-run] [--json]

import { stat } from "node:fs/promises";
import { Cache, cacheDirFrom, gcCache, gcKept, listEntries, listKept, verifyCache, verifyKept, type Entry } from "../../cache/index.ts";
import { BundleError } from "../../core/errors.ts";
import { bareCachePath } from "../../git/cache.ts";
import { gcCachedRepos, listCachedRepos, verifyCachedRepos, type CachedRepo } from "../../git/maintenance.ts";
import { thisHost } from "../../core/platform.ts";
import { isRepo, makePlan } from "../../plan/plan.ts";
import { loadRecipe } from "../../recipe/load.ts";
import type { CliContext } from "../context.ts";
import { fmtBytes } from "../render.ts";

export async function run(ctx: CliContext): Promise<number> {
  const cache = new Cache(cacheDirFrom(ctx.flags, ctx.env, ctx.cwd));
  const [action, ...recipes] = ctx.args;
  if (action !== "gc" && (recipes.length || ctx.flags["older-than"] !== undefined || ctx.flags["dry-run"])) {
    throw new BundleError("USAGE", `bundle cache ${action} takes no recipes, --older-than or --dry-run`, { hint: "they belong to `bundle cache gc`" });
  }
  // A file named as the cache would otherwise read as an empty cache (and a verify that "passed").
  const kind = await stat(cache.dir).then((s) => (s.isDirectory() ? "dir" : "file"), () => "none");
  if (kind === "file") throw new BundleError("USAGE", `the cache folder ${cache.dir} is a file`, { hint: "point --cache (or BUNDLE_CACHE_DIR) at the cache folder" });
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

function repoJson(r: CachedRepo) {
  return { origin: r.origin, path: r.path, commits: r.commits, urls: r.urls, bytes: r.bytes, lastUsed: new Date(r.lastUsed).toISOString() };
}

/** Columns padded to their widest cell; the size column (1) is right-aligned. */
function table(head: string[], rows: string[][]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 1 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join("  ").trimEnd();
  return rows.length ? ["", fmt(head), ...rows.map(fmt)] : [];
}

const reposPhrase = (n: number) => `${n} git repositor${n === 1 ? "y" : "ies"}`;

async function ls(ctx: CliContext, cache: Cache): Promise<number> {
  const entries = (await listEntries(cache)).sort((a, b) => b.lastUsed - a.lastUsed);
  const repos = (await listCachedRepos(cache.dir)).sort((a, b) => b.lastUsed - a.lastUsed);
  const kept = (await listKept(cache.dir)).sort((a, b) => b.lastUsed - a.lastUsed);
  const total = entries.reduce((n, e) => n + e.size, 0);
  const repoBytes = repos.reduce((n, r) => n + r.bytes, 0);
  const keptBytes = kept.reduce((n, k) => n + k.size, 0);
  if (ctx.json) {
    const keptJson = kept.map((k) => ({ key: k.record?.key ?? null, path: k.dir, files: k.record?.files ?? 0, size: k.size, lastUsed: new Date(k.lastUsed).toISOString() }));
    ctx.out(JSON.stringify({ cache: cache.dir, entries: entries.map(entryJson), bytes: total, repos: repos.map(repoJson), repoBytes, kept: keptJson, keptBytes }, null, 2));
    return 0;
  }
  const now = Date.now();
  const rows = entries.map((e) => [e.sha256.slice(0, 12), fmtBytes(e.size), age(now - e.lastUsed), e.url ?? e.keys[0] ?? (e.from ? `from ${e.from.slice(0, 12)}` : "")]);
  const repoRows = repos.map((r) => [r.commits.map((c) => c.slice(0, 12)).join(",") || "-", fmtBytes(r.bytes), age(now - r.lastUsed), r.origin]);
  ctx.out(
    [
      `${cache.dir}: ${entries.length} blob(s), ${fmtBytes(total)}${repos.length ? `; ${reposPhrase(repos.length)}, ${fmtBytes(repoBytes)}` : ""}${kept.length ? `; ${kept.length} kept tree(s), ${fmtBytes(keptBytes)} (hard-linked into bundles)` : ""}`,
      ...table(["SHA256", "SIZE", "USED", "SOURCE"], rows),
      ...table(["COMMITS", "SIZE", "USED", "REPOSITORY"], repoRows),
      ...table(["FILES", "SIZE", "USED", "KEPT TREE"], kept.map((k) => [String(k.record?.files ?? "?"), fmtBytes(k.size), age(now - k.lastUsed), keptLabel(k.record?.key)])),
    ].join("\n"),
  );
  return 0;
}

async function verify(ctx: CliContext, cache: Cache): Promise<number> {
  const r = await verifyCache(cache, { emit: ctx.emit, signal: ctx.signal });
  const g = await verifyCachedRepos(cache.dir, { emit: ctx.emit, signal: ctx.signal });
  const k = await verifyKept(cache.dir);
  if (ctx.json) ctx.out(JSON.stringify({ cache: cache.dir, checked: r.checked, bytes: r.bytes, corrupt: r.corrupt, repos: { checked: g.checked, bytes: g.bytes, corrupt: g.corrupt }, kept: k }, null, 2));
  else {
    ctx.out(`${cache.dir}: ${r.checked} blob(s) re-hashed (${fmtBytes(r.bytes)}), ${r.corrupt.length} corrupt${r.corrupt.length ? " and evicted:" : ""}`);
    for (const c of r.corrupt) ctx.out(`  ${c.path}: ${c.problem}`);
    if (g.checked) ctx.out(`${reposPhrase(g.checked)} checked with git fsck (${fmtBytes(g.bytes)}), ${g.corrupt.length} corrupt${g.corrupt.length ? " and evicted:" : ""}`);
    for (const c of g.corrupt) ctx.out(`  ${c.path} (${c.origin}): ${c.problem}`);
    if (k.checked) ctx.out(`${k.checked} kept tree(s) re-hashed (${fmtBytes(k.bytes)}), ${k.corrupt.length} changed${k.corrupt.length ? " and removed:" : ""}`);
  }
  // Named in both outputs: which kept tree, and its first differences.
  for (const c of k.corrupt) ctx.emit({ type: "warning", message: `kept tree ${c.key} changed and was removed: ${c.problems.slice(0, 5).join("; ")}${c.problems.length > 5 ? "; …" : ""}` });
  const bad = [...(r.corrupt.length ? [`${r.corrupt.length} corrupt blob(s)`] : []), ...(g.corrupt.length ? [`${g.corrupt.length} corrupt git repositor${g.corrupt.length === 1 ? "y" : "ies"}`] : []), ...(k.corrupt.length ? [`${k.corrupt.length} changed kept tree(s)`] : [])];
  if (bad.length) {
    throw new BundleError("CACHE", `${bad.join(" and ")} ${r.corrupt.length + g.corrupt.length + k.corrupt.length === 1 ? "was" : "were"} evicted from ${cache.dir}`, { hint: "`bundle fetch <recipe>` downloads them again and the next build makes kept trees again; if this repeats, check the disk (or what wrote into a bundle folder's hard-linked files)" });
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
  const needed = recipes.length ? await neededByRecipes(recipes, cache.dir) : undefined;
  const dryRun = ctx.flags["dry-run"] === true;
  const now = Date.now();
  const r = await gcCache(cache, { keep: needed?.digests, olderThanMs, now, dryRun });
  const g = await gcCachedRepos(cache.dir, { keep: needed?.repos, olderThanMs, now, dryRun });
  // A kept tree is needed while its key names a digest or commit the recipes need.
  const k = await gcKept(cache.dir, { keep: needed ? new Set([...needed.digests, ...needed.commits]) : undefined, olderThanMs, now, dryRun });
  if (ctx.json) ctx.out(JSON.stringify({ cache: cache.dir, dryRun, removed: r.removed.map(entryJson), freed: r.freed, tmpRemoved: r.tmpRemoved, removedRepos: g.removed.map(repoJson), freedRepos: g.freed, removedKept: k.removed, freedKept: k.freed }, null, 2));
  else {
    const repos = g.removed.length ? `, ${reposPhrase(g.removed.length)}, ${fmtBytes(g.freed)}` : "";
    const kept = k.removed.length ? `, ${k.removed.length} kept tree(s), ${fmtBytes(k.freed)}` : "";
    ctx.out(`${dryRun ? "would remove" : "removed"} ${r.removed.length} blob(s), ${fmtBytes(r.freed)}${repos}${kept}${r.tmpRemoved.length ? `, and ${r.tmpRemoved.length} partial/temporary file(s)` : ""}`);
    if (dryRun || ctx.verbose) {
      for (const e of r.removed) ctx.out(`  ${e.sha256.slice(0, 12)}  ${fmtBytes(e.size)}  ${e.url ?? e.keys[0] ?? ""}`);
      for (const x of g.removed) ctx.out(`  git  ${fmtBytes(x.bytes)}  ${x.origin}`);
      for (const x of k.removed) ctx.out(`  kept  ${fmtBytes(x.size)}  ${keptLabel(x.key)}`);
    }
  }
  return 0;
}

/**
 * What the recipes need, on every platform they list: every sha256 (the plan includes locked wheels
 * and "lock" hashes) and the bare repository of every repository and extension (named by its origin
 * as the build names it, src/assemble/gather.ts).
 */
async function neededByRecipes(recipes: string[], cacheDir: string): Promise<{ digests: Set<string>; repos: Set<string>; commits: Set<string> }> {
  const digests = new Set<string>();
  const repos = new Set<string>();
  const commits = new Set<string>();
  for (const file of recipes) {
    const loaded = await loadRecipe(file);
    for (const platform of loaded.recipe.platforms) {
      // with this machine as the builder: the Node it writes cross-built launchers with is kept too
      const plan = await makePlan({ loaded, platform, host: thisHost() });
      for (const a of plan.artifacts) {
        if (a.sha256) digests.add(a.sha256.toLowerCase());
        if (isRepo(a)) {
          repos.add(bareCachePath(cacheDir, a.origin));
          commits.add(a.commit.toLowerCase());
        }
      }
    }
  }
  return { digests, repos, commits };
}

/** A kept tree's key, shortened for a table: its kind and the digests or commit, cut to 12 characters. */
function keptLabel(key: string | undefined): string {
  if (!key) return "(no record)";
  return key.split(":").map((p) => (/^[0-9a-f]{40,64}$/.test(p) ? p.slice(0, 12) : p.length > 48 ? `${p.slice(0, 45)}…` : p)).join(":");
}
