// Whole-recipe checks that a schema cannot express: mirror names, duplicate destinations,
// per-platform sections, placeholders. Pure: takes the parsed recipe and a locator.

import type { Diagnostic, SourcePos } from "../core/errors.ts";
import { needsPortableGit, PLATFORM_FACTS, type Platform } from "../core/platform.ts";
import { didYouMean } from "../core/suggest.ts";
import { parseRecipeUrl } from "./mirrors.ts";
import { badRelPath, type Recipe, type ExtensionSpec } from "./schema.ts";
import { MIN_SPLIT, sizeBytes } from "../pack/size.ts";
import { formatPath, type KeyPath } from "./yaml-source.ts";

type Locate = (path: KeyPath, preferKey?: boolean) => SourcePos;

export const PLACEHOLDERS = ["bundle", "python", "git", "port"] as const;

/** Folder name of an extension: its `name`, else the repository name from the URL without `.git`. */
export function extensionName(ext: ExtensionSpec): string {
  if (ext.name) return ext.name;
  const last = ext.url.replace(/\/+$/, "").split("/").pop() ?? "extension";
  return last.replace(/\.git$/, "");
}

/** Every place an artifact lands in the bundle, with the key path that declared it. */
export function declaredDestinations(r: Recipe, platform: Platform): { dest: string; path: KeyPath; what: string }[] {
  const out: { dest: string; path: KeyPath; what: string }[] = [];
  if (r.python[platform]) out.push({ dest: "python", path: ["python", platform], what: "python runtime" });
  if (r.git?.[platform]) out.push({ dest: "git", path: ["git", platform], what: "portable git" });
  r.repos.forEach((repo, i) => out.push({ dest: repo.path, path: ["repos", i, "path"], what: "repository" }));
  r.extensions?.items.forEach((ext, i) =>
    out.push({ dest: `${r.extensions!.dir}/${extensionName(ext)}`, path: ["extensions", "items", i, ext.name ? "name" : "url"], what: "extension" }),
  );
  r.files.forEach((f, i) => out.push({ dest: f.path, path: ["files", i, "path"], what: "file" }));
  out.push({ dest: r.launcher.name + PLATFORM_FACTS[platform].exe, path: ["launcher", "name"], what: "launcher" });
  return out;
}

export function semanticChecks(r: Recipe, locate: Locate): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const add = (path: KeyPath, message: string, hint?: string, preferKey = false) =>
    diags.push({ ...locate(path, preferKey), path: formatPath(path), message, hint });
  const lists = Object.keys(r.mirrors);

  // Mirror lists hold base URLs, never mirror:// themselves.
  for (const [name, urls] of Object.entries(r.mirrors)) {
    urls.forEach((u, i) => {
      if (/^mirror:\/\//i.test(u)) add(["mirrors", name, i], "a mirror list holds base URLs; mirror:// is not allowed here", "write the https:// base URL");
    });
  }

  const checkUrl = (u: string | undefined, path: KeyPath) => {
    if (u === undefined) return;
    const p = parseRecipeUrl(u);
    if (p?.kind !== "mirror") return;
    if (!r.mirrors[p.list]) add(path, `mirror list "${p.list}" is not defined`, didYouMean(p.list, lists) ?? `define it under mirrors: (defined: ${lists.join(", ") || "none"})`);
    else if (p.path === "") add(path, `mirror URL ${u} has no path after the list name`, "write mirror://<list>/<path>");
  };
  const checkLists = (names: string[] | undefined, path: KeyPath) =>
    names?.forEach((n, i) => {
      if (!r.mirrors[n]) add([...path, i], `mirror list "${n}" is not defined`, didYouMean(n, lists) ?? `define it under mirrors: (defined: ${lists.join(", ") || "none"})`);
    });

  for (const p of r.platforms) {
    checkUrl(r.python[p]?.url, ["python", p, "url"]);
    checkUrl(r.git?.[p]?.url, ["git", p, "url"]);
    checkUrl(r.launcher.node[p]?.url, ["launcher", "node", p, "url"]);
  }
  r.repos.forEach((repo, i) => checkUrl(repo.url, ["repos", i, "url"]));
  r.extensions?.items.forEach((e, i) => checkUrl(e.url, ["extensions", "items", i, "url"]));
  r.files.forEach((f, i) => {
    checkUrl(f.url, ["files", i, "url"]);
    if (f.text !== undefined && (f.url !== undefined || f.sha256 !== undefined)) add(["files", i, "text"], "a file has either text: or url: + sha256:, not both");
    else if (f.text === undefined && f.url === undefined) add(["files", i], "a file needs url: (with sha256:) or text:", "add url: mirror://<list>/<path> and sha256: <64 hex>", true);
    else if (f.url !== undefined && f.sha256 === undefined) add(["files", i, "url"], "a downloaded file needs a sha256", 'add sha256: <64 hex>, or sha256: lock to pin it with `bundle lock`');
  });
  if (r.wheels) {
    checkLists(r.wheels.indexes, ["wheels", "indexes"]);
    for (const [name, o] of Object.entries(r.wheels.packages ?? {})) {
      checkLists(o.indexes, ["wheels", "packages", name, "indexes"]);
      checkLists(o.find_links, ["wheels", "packages", name, "find_links"]);
      checkUrl(o.sdist, ["wheels", "packages", name, "sdist"]);
      if (o.sdist && !o.sha256) add(["wheels", "packages", name, "sdist"], `sdist of ${name} has no sha256`, "add sha256: <64 hex> (or lock) next to sdist:");
    }
  }

  // Per-platform sections.
  const usesGit = r.repos.length > 0 || (r.extensions?.items.length ?? 0) > 0 || JSON.stringify(r.launcher).includes("{git}");
  r.platforms.forEach((p, i) => {
    if (r.platforms.indexOf(p) !== i) add(["platforms", i], `platform ${p} is listed twice`);
    if (!r.python[p]) add(["platforms", i], `platform ${p} has no python.${p} section`, `add python: { ${p}: { url: …, sha256: … } }`);
    if (!r.launcher.node[p]) add(["platforms", i], `platform ${p} has no launcher.node.${p} section`, "the launcher is built from a Node base binary per platform");
    if (needsPortableGit(p) && usesGit && !r.git?.[p])
      add(["platforms", i], `platform ${p} needs a portable git (git.${p}): the recipe has repositories and ${p} has no system git`, `add git: { ${p}: { url: mirror://git-for-windows/…/MinGit-…-64-bit.zip, sha256: … } }`);
  });

  // Destinations: unique, case-insensitively where the platform's file system is.
  for (const p of r.platforms) {
    const seen = new Map<string, { path: KeyPath; what: string; dest: string }>();
    const ci = PLATFORM_FACTS[p].caseInsensitive;
    for (const d of declaredDestinations(r, p)) {
      const key = (ci ? d.dest.toLowerCase() : d.dest).replace(/\/+$/, "");
      const prev = seen.get(key);
      if (prev) {
        const how = prev.dest === d.dest ? "" : ` (differs only in case, which collides on ${p})`;
        if (!diags.some((x) => x.path === formatPath(d.path))) add(d.path, `${d.what} destination "${d.dest}" is already used by the ${prev.what} at ${formatPath(prev.path)}${how}`, "give each artifact its own path");
      } else seen.set(key, d);
    }
  }

  // Launcher strings: known placeholders and a relative cwd.
  const checkPlaceholders = (s: string, path: KeyPath) => {
    for (const m of s.matchAll(/\{([^{}]*)\}/g)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!))
        add(path, `unknown placeholder {${m[1]}}`, didYouMean(m[1]!, PLACEHOLDERS) ?? `known: ${PLACEHOLDERS.map((x) => `{${x}}`).join(" ")}`);
    }
  };
  r.launcher.command.forEach((c, i) => checkPlaceholders(c, ["launcher", "command", i]));
  for (const [k, v] of Object.entries(r.launcher.env ?? {})) checkPlaceholders(v, ["launcher", "env", k]);
  if (r.launcher.cwd !== undefined) {
    const why = badRelPath(r.launcher.cwd);
    if (why) add(["launcher", "cwd"], why);
  }
  // Checked here, at its position, not after a whole build when the packer reads it.
  const split = r.package.split === undefined ? undefined : sizeBytes(r.package.split);
  if (split !== undefined && split < MIN_SPLIT) add(["package", "split"], `package.split ${r.package.split} is less than 64 KiB; volumes that small would be thousands of files`);
  r.package.formats.forEach((f, i) => {
    if (r.package.formats.indexOf(f) !== i) add(["package", "formats", i], `format ${f} is listed twice`);
  });
  return diags;
}
