// plan(recipe, platform): every artifact the bundle needs, with its candidate URLs in mirror order,
// destination and expected hash. No network. The lock (when present) supplies wheel files and
// the hashes of artifacts whose recipe sha256 is "lock".

import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { relative } from "node:path";
import { BundleError, withoutCredentials, type Diagnostic, type SourcePos } from "../core/errors.ts";
import { PLATFORM_FACTS, type Platform } from "../core/platform.ts";
import type { LoadedRecipe } from "../recipe/load.ts";
import { expandLists, expandUrl, flatFolderUrl, joinUrl } from "../recipe/mirrors.ts";
import { LOCK_PLACEHOLDER, type PackageOverride, type Recipe } from "../recipe/schema.ts";
import { extensionName } from "../recipe/validate.ts";
import { readLock, type LockFile, type LockPlatform, type LockedWheel } from "../python/lockfile.ts";
import { lockDrift } from "../python/lock-drift.ts";
import { evaluateMarker, normalizeName } from "../python/pep508.ts";
import { readPinnedRequirements, parsePinnedRequirements, type PinnedRequirement } from "../python/requirements.ts";
import { makeTarget, type Target } from "../python/target.ts";

export type ArtifactKind = "python" | "git" | "node" | "wheel" | "sdist" | "repo" | "extension" | "file";

export interface PlanArtifact {
  /** Stable identity: "python", "git", "node", "wheel:<name>", "sdist:<name>", "repo:<path>", "extension:<name>", "file:<path>". */
  id: string;
  kind: ArtifactKind;
  name: string;
  version?: string;
  /** Where it lands, relative to the bundle root. Wheels: the site-packages folder. */
  dest: string;
  /** Candidate URLs in the order they are tried. For unlocked wheels: the index project pages. */
  urls: string[];
  sha256?: string;
  size?: number;
  commit?: string;
  /** Remote written as `origin` in a placed repository. */
  origin?: string;
  /** False when the expected hash is not known yet (recipe says "lock", or a wheel not in the lock). */
  locked: boolean;
  /** Wheels: file name chosen by the lock; the requirement as written. */
  filename?: string;
  requirement?: string;
  /** Wheels/sdists: exact pins used to build an sdist. */
  buildRequires?: string[];
  /** Files given inline in the recipe (`text:`): the content; no URLs. */
  text?: string;
  /** Where the recipe (or requirements file) declares it. */
  source: SourcePos;
}

export type LockState = "none" | "missing" | "fresh" | "stale";

export interface Plan {
  recipe: { name: string; version: string; title: string; file: string };
  platform: Platform;
  /** `<name>-<version>-<platform>`: the bundle folder and archive base name. */
  bundleName: string;
  target: Target;
  artifacts: PlanArtifact[];
  lock: { file?: string; state: LockState; problems: string[] };
}

export interface PlanInputs {
  loaded: LoadedRecipe;
  platform: Platform;
  /** Pre-read lock (tests); otherwise read from the recipe's wheels.lock. */
  lock?: LockFile | null;
}

export function choosePlatform(recipe: Recipe, requested: string | undefined): Platform {
  if (requested === undefined) return recipe.platforms[0]!;
  if (!(recipe.platforms as string[]).includes(requested)) {
    throw new BundleError("USAGE", `platform ${requested} is not one of this recipe's platforms (${recipe.platforms.join(", ")})`, {
      hint: `use --platform ${recipe.platforms[0]}`,
    });
  }
  return requested as Platform;
}

export async function makePlan({ loaded, platform, lock: givenLock }: PlanInputs): Promise<Plan> {
  const r = loaded.recipe;
  const target = makeTarget(platform, r.python.version, r.python.glibc);
  const lockFile = r.wheels?.lock ? loaded.resolveFile(["wheels", "lock"], r.wheels.lock) : undefined;
  const lock = givenLock === undefined ? (lockFile ? await readLock(lockFile, loaded.locate(["wheels", "lock"])) : undefined) : (givenLock ?? undefined);
  const lp = lock?.platforms[platform];
  const problems: string[] = [];
  // Wheels were chosen for the lock's Python (tags, markers): another version makes it stale.
  if (lp && lock!.python !== r.python.version) problems.push(`the lock was made for Python ${lock!.python}; the recipe now says ${r.python.version}`);
  problems.push(...lockDrift(r, platform, lp));
  const artifacts: PlanArtifact[] = [];
  const at = (path: (string | number)[]) => loaded.locate(path);

  const hashed = (id: string, path: (string | number)[], a: { url: string; sha256: string; size?: number | undefined }) => {
    const fromLock = a.sha256 === LOCK_PLACEHOLDER ? lp?.artifacts[id] : undefined;
    const sha256 = a.sha256 === LOCK_PLACEHOLDER ? fromLock?.sha256 : a.sha256;
    const size = a.size ?? fromLock?.size;
    return { urls: expandUrl(a.url, r.mirrors), ...(sha256 ? { sha256 } : {}), ...(size ? { size } : {}), locked: sha256 !== undefined, source: at(path) };
  };

  if (r.launcher.icon) await mustExist(loaded, ["launcher", "icon"], r.launcher.icon, "the launcher icon");
  const py = r.python[platform]!;
  artifacts.push({ id: "python", kind: "python", name: "python", version: r.python.version, dest: "python", ...hashed("python", ["python", platform], py) });
  const git = r.git?.[platform];
  if (git) artifacts.push({ id: "git", kind: "git", name: "git", dest: "git", ...hashed("git", ["git", platform], git) });

  artifacts.push(...(await wheelArtifacts(loaded, target, lp, problems)));

  r.repos.forEach((repo, i) => {
    const urls = expandUrl(repo.url, r.mirrors);
    artifacts.push({ id: `repo:${repo.path}`, kind: "repo", name: repo.path, dest: repo.path, urls, commit: repo.commit, origin: repo.origin ?? withoutCredentials(urls[0]!), locked: true, source: at(["repos", i]) });
  });
  r.extensions?.items.forEach((ext, i) => {
    const name = extensionName(ext);
    const urls = expandUrl(ext.url, r.mirrors);
    artifacts.push({ id: `extension:${name}`, kind: "extension", name, dest: `${r.extensions!.dir}/${name}`, urls, commit: ext.commit, origin: withoutCredentials(urls[0]!), locked: true, source: at(["extensions", "items", i]) });
  });
  r.files.forEach((f, i) => {
    const id = `file:${f.path}`;
    const name = f.path.split("/").pop()!;
    if (f.text !== undefined) {
      const sha256 = createHash("sha256").update(f.text).digest("hex");
      artifacts.push({ id, kind: "file", name, dest: f.path, urls: [], text: f.text, sha256, size: Buffer.byteLength(f.text), locked: true, source: at(["files", i]) });
    } else artifacts.push({ id, kind: "file", name, dest: f.path, ...hashed(id, ["files", i], { url: f.url!, sha256: f.sha256!, size: f.size }) });
  });
  const node = r.launcher.node[platform]!;
  const nodeVersion = /v?(\d+\.\d+\.\d+)/.exec(node.url)?.[1];
  artifacts.push({
    id: "node",
    kind: "node",
    name: "node",
    ...(nodeVersion ? { version: nodeVersion } : {}),
    dest: r.launcher.name + PLATFORM_FACTS[platform].exe,
    ...hashed("node", ["launcher", "node", platform], node),
  });

  const state: LockState = !lockFile ? "none" : !lock ? "missing" : !lp || problems.length > 0 ? "stale" : "fresh";
  if (lockFile && lock && !lp) problems.push(`the lock has no entry for ${platform}`);
  return {
    recipe: { name: r.name, version: r.version, title: r.title ?? r.name, file: loaded.file },
    platform,
    bundleName: `${r.name}-${r.version}-${platform}`,
    target,
    artifacts,
    lock: { ...(lockFile ? { file: shownPath(lockFile) } : {}), state, problems },
  };
}

/** A file the recipe names that the build reads (not downloads) must be there: said at plan time, at its position. */
async function mustExist(loaded: LoadedRecipe, path: (string | number)[], value: string, what: string): Promise<void> {
  const abs = loaded.resolveFile(path, value);
  const ok = await stat(abs).then((s) => s.isFile(), () => false);
  if (!ok) {
    throw new BundleError("RECIPE", `${what} ${shownPath(abs)} is not a file`, {
      diagnostics: [{ ...loaded.locate(path), path: path.join("."), message: `${shownPath(abs)} does not exist or is not a file`, hint: "the path is relative to the recipe that names it" }],
    });
  }
}

function shownPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel.startsWith("..") ? p : rel;
}

/** The pinned requirement set for a platform: requirements file + extension requirements, markers applied. */
export async function pinnedRequirements(loaded: LoadedRecipe, target: Target): Promise<PinnedRequirement[]> {
  const r = loaded.recipe;
  if (!r.wheels) return [];
  const all: PinnedRequirement[] = [];
  if (r.wheels.requirements) {
    const path = loaded.resolveFile(["wheels", "requirements"], r.wheels.requirements);
    all.push(...(await readPinnedRequirements(path, shownPath(path), loaded.locate(["wheels", "requirements"]))));
  }
  const diags: Diagnostic[] = [];
  r.extensions?.items.forEach((ext, i) => {
    (ext.requirements ?? []).forEach((line, j) => {
      const pos = loaded.locate(["extensions", "items", i, "requirements", j]);
      const parsed = parsePinnedRequirements(line, pos.file);
      for (const d of parsed.diagnostics) diags.push({ ...d, line: pos.line, col: pos.col + d.col - 1, path: `extensions.items[${i}].requirements[${j}]` });
      for (const req of parsed.reqs) {
        const same = all.find((x) => x.key === req.key);
        if (same && same.version !== req.version && !same.marker && !req.marker) {
          diags.push({ ...pos, path: `extensions.items[${i}].requirements[${j}]`, message: `${extensionName(ext)} needs ${req.name}==${req.version} but ${same.file}:${same.line} pins ${same.version}`, hint: "one version per package: align the pins" });
        } else if (!same) all.push({ ...req, file: pos.file, line: pos.line, col: pos.col });
      }
    });
  });
  if (diags.length) throw new BundleError("RECIPE", "conflicting requirements", { diagnostics: diags });
  return all.filter((q) => !q.marker || evaluateMarker(q.marker, target.markers));
}

async function wheelArtifacts(loaded: LoadedRecipe, target: Target, lp: LockPlatform | undefined, problems: string[]): Promise<PlanArtifact[]> {
  const r = loaded.recipe;
  if (!r.wheels) return [];
  const reqs = await pinnedRequirements(loaded, target);
  const out: PlanArtifact[] = [];
  const lockedByName = new Map((lp?.wheels ?? []).map((w) => [w.name, w]));
  const dest = target.scheme.purelib;
  for (const q of reqs) {
    const override = findOverride(r.wheels.packages, q.key);
    const source: SourcePos = { file: q.file, line: q.line, col: q.col };
    const requirement = `${q.name}==${q.version}`;
    const buildRequires = override?.build_requires ?? r.wheels.build_requires;
    const lw = lockedByName.get(q.key);
    if (lw && lw.version !== q.version) problems.push(`${q.key}: the lock has ${lw.version}, the requirements pin ${q.version}`);
    const lockOk = lw && lw.version === q.version ? lw : undefined;
    if (lp && !lw) problems.push(`${q.key}==${q.version} is not in the lock`);
    if (override?.sdist) {
      const sdistSha = override.sha256 && override.sha256 !== LOCK_PLACEHOLDER ? override.sha256 : lp?.artifacts[`sdist:${q.key}`]?.sha256;
      out.push({
        id: `sdist:${q.key}`, kind: "sdist", name: q.key, version: q.version, dest, requirement,
        urls: expandUrl(override.sdist, r.mirrors), ...(sdistSha ? { sha256: sdistSha } : {}), locked: sdistSha !== undefined,
        ...(lockOk ? { filename: lockOk.filename } : {}), ...(buildRequires ? { buildRequires } : {}), source,
      });
      continue;
    }
    const indexes = override?.indexes ?? r.wheels.indexes;
    const findLinks = override?.find_links ?? [];
    if (lockOk) {
      out.push({
        id: `wheel:${q.key}`, kind: "wheel", name: q.key, version: q.version, dest, requirement, filename: lockOk.filename,
        urls: lockedWheelUrls(lockOk, r.mirrors, findLinks), sha256: lockOk.sha256, size: lockOk.size, locked: true, source,
      });
    } else {
      const pages = expandLists(indexes, r.mirrors).map((b) => joinUrl(b, `${q.key}/`));
      out.push({ id: `wheel:${q.key}`, kind: "wheel", name: q.key, version: q.version, dest, requirement, urls: pages, locked: false, source });
    }
  }
  if (lp) {
    const wanted = new Set(reqs.map((q) => q.key));
    for (const w of lp.wheels) if (!wanted.has(w.name)) problems.push(`the lock has ${w.name}==${w.version}, which the requirements no longer pin`);
  }
  return out;
}

function findOverride(packages: Record<string, PackageOverride> | undefined, key: string): PackageOverride | undefined {
  if (!packages) return undefined;
  for (const [name, o] of Object.entries(packages)) if (normalizeName(name) === key) return o;
  return undefined;
}

/**
 * Candidate URLs of a locked wheel: flat find-links mirrors first (bytes), then every mirror of its
 * index. On a flat list the lock's path comes first (such pages may link into a subfolder, as
 * download.pytorch.org's torch_stable.html links into cu121/), then `<folder>/<file>` on every
 * find-links mirror.
 */
export function lockedWheelUrls(w: LockedWheel, mirrors: Record<string, string[]>, findLinks: readonly string[]): string[] {
  const out: string[] = [];
  const push = (u: string) => {
    if (!out.includes(u)) out.push(u);
  };
  const absolute = /^https?:\/\//.test(w.path);
  const flat = findLinks.includes(w.index);
  // A flat file's path is relative to <folder>/<name>/ (see lock-resolve.ts).
  const onFlat = (list: string, path: string) => {
    if (/^https?:\/\//.test(path)) push(path);
    else for (const base of mirrors[list] ?? []) push(new URL(path, new URL(`${w.name}/`, flatFolderUrl(base))).href);
  };
  if (flat && !absolute) onFlat(w.index, w.path);
  if (w.find_links && w.find_links_path && findLinks.includes(w.find_links)) onFlat(w.find_links, w.find_links_path);
  for (const base of expandLists(findLinks, mirrors)) push(`${flatFolderUrl(base)}${encodeURIComponent(w.filename)}`);
  if (absolute) {
    // An index that links to another host (pypi.org → files.pythonhosted.org): PyPI mirrors keep the
    // /packages/… layout next to their /simple root, so rewrite onto each mirror, then the original.
    const i = w.path.indexOf("/packages/");
    if (i >= 0 && !flat) for (const base of mirrors[w.index] ?? []) push(joinUrl(base.replace(/\/simple\/?$/, ""), w.path.slice(i + 1)));
    push(w.path);
  } else if (!flat) {
    for (const base of mirrors[w.index] ?? []) push(new URL(w.path, `${base.replace(/\/+$/, "")}/${w.name}/`).href);
  }
  return out;
}
