// Whole-recipe checks that a schema cannot express: mirror names, duplicate destinations,
// per-platform sections, placeholders. Pure: takes the recipe and a locator.
// They run on the raw YAML value too, when the schema has already found problems, so that one
// run reports every problem: each check reads only values of the shape it expects and leaves
// the rest to the schema's own messages (a wrong value is said once, by whoever owns it).

import type { Diagnostic, SourcePos } from "../core/errors.ts";
import { isPlatform, needsPortableGit, PLATFORM_FACTS, type Platform } from "../core/platform.ts";
import { didYouMean } from "../core/suggest.ts";
import { parseRecipeUrl } from "./mirrors.ts";
import { badRelPath, type Recipe, type ExtensionSpec } from "./schema.ts";
import { MIN_SPLIT, sizeBytes } from "../core/size.ts";
import { formatPath, type KeyPath } from "./yaml-source.ts";
import { LAUNCHER_PLACEHOLDERS, verifyChecks } from "./verify-checks.ts";

type Locate = (path: KeyPath, preferKey?: boolean) => SourcePos;

export const PLACEHOLDERS = LAUNCHER_PLACEHOLDERS;

/** Folder name of an extension: its `name`, else the repository name from the URL without `.git`. */
export function extensionName(ext: Pick<ExtensionSpec, "name" | "url">): string {
  if (ext.name) return ext.name;
  const last = ext.url.replace(/\/+$/, "").split("/").pop() ?? "extension";
  return last.replace(/\.git$/, "");
}

// Readers of an unchecked value: the right shape, or nothing.
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const strings = (v: unknown): (string | undefined)[] => list(v).map(str);

/** Every place an artifact lands in the bundle, with the key path that declared it. */
export function declaredDestinations(recipe: Recipe | unknown, platform: Platform): { dest: string; path: KeyPath; what: string }[] {
  const r = obj(recipe);
  const out: { dest: string; path: KeyPath; what: string }[] = [];
  const add = (dest: string | undefined, path: KeyPath, what: string) => dest !== undefined && out.push({ dest, path, what });
  if (obj(r.python)[platform] !== undefined) add("python", ["python", platform], "python runtime");
  if (obj(r.git)[platform] !== undefined) add("git", ["git", platform], "portable git");
  list(r.repos).forEach((repo, i) => add(str(obj(repo).path), ["repos", i, "path"], "repository"));
  const ext = obj(r.extensions);
  const dir = str(ext.dir);
  list(ext.items).forEach((item, i) => {
    const e = obj(item);
    const name = str(e.name);
    const url = str(e.url);
    if (dir !== undefined && (name !== undefined || url !== undefined)) add(`${dir}/${extensionName({ name, url: url ?? "" })}`, ["extensions", "items", i, name !== undefined ? "name" : "url"], "extension");
  });
  list(r.files).forEach((f, i) => add(str(obj(f).path), ["files", i, "path"], "file"));
  const launcher = str(obj(r.launcher).name) ?? "launcher";
  add(launcher + PLATFORM_FACTS[platform].exe, ["launcher", "name"], "launcher");
  return out;
}

export function semanticChecks(recipe: Recipe | unknown, locate: Locate): Diagnostic[] {
  const r = obj(recipe);
  const diags: Diagnostic[] = [];
  const add = (path: KeyPath, message: string, hint?: string, preferKey = false) => diags.push({ ...locate(path, preferKey), path: formatPath(path), message, hint });
  const mirrors = obj(r.mirrors);
  const lists = Object.keys(mirrors);
  const platforms = list(r.platforms).filter(isPlatform);
  const launcher = obj(r.launcher);
  const undefinedList = (name: string) => [`mirror list "${name}" is not defined`, didYouMean(name, lists) ?? `define it under mirrors: (defined: ${lists.join(", ") || "none"})`] as const;

  // Mirror lists hold base URLs, never mirror:// themselves.
  for (const [name, urls] of Object.entries(mirrors)) {
    strings(urls).forEach((u, i) => {
      if (u !== undefined && /^mirror:\/\//i.test(u)) add(["mirrors", name, i], `a mirror list holds base URLs; mirror:// is not allowed here (got "${u}")`, "write the https:// base URL");
    });
  }

  const checkUrl = (u: string | undefined, path: KeyPath) => {
    if (u === undefined) return;
    const p = parseRecipeUrl(u);
    if (p?.kind !== "mirror") return;
    if (!Object.hasOwn(mirrors, p.list)) add(path, ...undefinedList(p.list));
    else if (p.path === "") add(path, `mirror URL ${u} has no path after the list name`, "write mirror://<list>/<path>");
  };
  const checkLists = (names: unknown, path: KeyPath) =>
    strings(names).forEach((n, i) => {
      if (n !== undefined && !Object.hasOwn(mirrors, n)) add([...path, i], ...undefinedList(n));
    });
  const url = (v: unknown) => str(obj(v).url);

  for (const p of platforms) {
    checkUrl(url(obj(r.python)[p]), ["python", p, "url"]);
    checkUrl(url(obj(r.git)[p]), ["git", p, "url"]);
    checkUrl(url(obj(launcher.node)[p]), ["launcher", "node", p, "url"]);
  }
  list(r.repos).forEach((repo, i) => checkUrl(url(repo), ["repos", i, "url"]));
  list(obj(r.extensions).items).forEach((e, i) => checkUrl(url(e), ["extensions", "items", i, "url"]));
  list(r.files).forEach((item, i) => {
    const f = obj(item);
    checkUrl(str(f.url), ["files", i, "url"]);
    if (f.text !== undefined && (f.url !== undefined || f.sha256 !== undefined)) add(["files", i, "text"], "a file has either text: or url: + sha256:, not both");
    else if (f.text === undefined && f.url === undefined) add(["files", i], "a file needs url: (with sha256:) or text:", "add url: mirror://<list>/<path> and sha256: <64 hex>", true);
    else if (f.url !== undefined && f.sha256 === undefined) add(["files", i, "url"], "a downloaded file needs a sha256", 'add sha256: <64 hex>, or sha256: lock to pin it with `bundle lock`');
  });
  if (r.wheels !== undefined) {
    const w = obj(r.wheels);
    checkLists(w.indexes, ["wheels", "indexes"]);
    for (const [name, value] of Object.entries(obj(w.packages))) {
      const o = obj(value);
      checkLists(o.indexes, ["wheels", "packages", name, "indexes"]);
      checkLists(o.find_links, ["wheels", "packages", name, "find_links"]);
      checkUrl(str(o.sdist), ["wheels", "packages", name, "sdist"]);
      if (o.sdist !== undefined && o.sha256 === undefined) add(["wheels", "packages", name, "sdist"], `sdist of ${name} has no sha256`, "add sha256: <64 hex> (or lock) next to sdist:");
    }
  }

  platformSections(r, add);
  diags.push(...destinationClashes(r, platforms, locate, diags));
  launcherChecks(launcher, add);
  verifyChecks(r, add);
  // Checked here, at its position, not after a whole build when the packer reads it.
  const pkg = obj(r.package);
  const splitText = str(pkg.split);
  const split = splitText === undefined ? undefined : sizeBytes(splitText);
  if (split !== undefined && split < MIN_SPLIT) add(["package", "split"], `package.split ${splitText} is less than 64 KiB; volumes that small would be thousands of files`);
  const formats = list(pkg.formats);
  formats.forEach((f, i) => {
    if (typeof f === "string" && formats.indexOf(f) !== i) add(["package", "formats", i], `format ${f} is listed twice`);
  });
  return diags;
}

type Add = (path: KeyPath, message: string, hint?: string, preferKey?: boolean) => void;

function platformSections(r: Obj, add: Add): void {
  const raw = list(r.platforms);
  const launcher = obj(r.launcher);
  const usesGit = list(r.repos).length > 0 || list(obj(r.extensions).items).length > 0 || JSON.stringify(r.launcher ?? null).includes("{git}");
  raw.forEach((p, i) => {
    if (!isPlatform(p)) return; // the schema names unknown platforms
    if (raw.indexOf(p) !== i) add(["platforms", i], `platform ${p} is listed twice`);
    if (obj(r.python)[p] === undefined) add(["platforms", i], `platform ${p} has no python.${p} section`, `add python: { ${p}: { url: …, sha256: … } }`);
    if (obj(launcher.node)[p] === undefined) add(["platforms", i], `platform ${p} has no launcher.node.${p} section`, "the launcher is built from a Node base binary per platform");
    if (needsPortableGit(p) && usesGit && obj(r.git)[p] === undefined)
      add(["platforms", i], `platform ${p} needs a portable git (git.${p}): the recipe has repositories and ${p} has no system git`, `add git: { ${p}: { url: mirror://git-for-windows/…/MinGit-…-64-bit.zip, sha256: … } }`);
  });
}

/**
 * Destinations must be unique, case-insensitively where the file system ignores case: the
 * target platform's (NTFS on win-x64), or the build machine's when `hostIgnoresCase` (building a
 * linux-x64 bundle on Windows or macOS would write both names into one file).
 */
export function destinationClashes(recipe: Recipe | unknown, platforms: readonly Platform[], locate: Locate, already: Diagnostic[] = [], hostIgnoresCase = false): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const p of platforms) {
    const seen = new Map<string, { path: KeyPath; what: string; dest: string }>();
    const ci = PLATFORM_FACTS[p].caseInsensitive || hostIgnoresCase;
    for (const d of declaredDestinations(recipe, p)) {
      const key = (ci ? d.dest.toLowerCase() : d.dest).replace(/\/+$/, "");
      const prev = seen.get(key);
      if (!prev) {
        seen.set(key, d);
        continue;
      }
      const where = PLATFORM_FACTS[p].caseInsensitive ? p : "this machine's file system, which ignores case";
      const how = prev.dest === d.dest ? "" : ` (differs only in case, which collides on ${where})`;
      const path = formatPath(d.path);
      if (![...already, ...out].some((x) => x.path === path)) {
        out.push({ ...locate(d.path), path, message: `${d.what} destination "${d.dest}" is already used by the ${prev.what} at ${formatPath(prev.path)}${how}`, hint: "give each artifact its own path" });
      }
    }
  }
  return out;
}

/** Launcher strings: known placeholders and a relative cwd. */
function launcherChecks(launcher: Obj, add: Add): void {
  const checkPlaceholders = (s: string | undefined, path: KeyPath) => {
    for (const m of (s ?? "").matchAll(/\{([^{}]*)\}/g)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!))
        add(path, `unknown placeholder {${m[1]}}`, didYouMean(m[1]!, PLACEHOLDERS) ?? `known: ${PLACEHOLDERS.map((x) => `{${x}}`).join(" ")}`);
    }
  };
  strings(launcher.command).forEach((c, i) => checkPlaceholders(c, ["launcher", "command", i]));
  for (const [k, v] of Object.entries(obj(launcher.env))) checkPlaceholders(str(v), ["launcher", "env", k]);
  const cwd = str(launcher.cwd);
  if (cwd !== undefined) {
    const why = badRelPath(cwd);
    if (why) add(["launcher", "cwd"], why);
  }
}
