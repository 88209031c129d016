// The Python part of a plan: one artifact per pinned requirement (a wheel, or an sdist to build),
// and one per pinned build requirement of those sdists. The lock supplies wheel files and hashes;
// what it lacks is planned unlocked (index pages to resolve from) and reported as a lock problem.

import { BundleError, type Diagnostic, type SourcePos } from "../core/errors.ts";
import type { LoadedRecipe } from "../recipe/load.ts";
import { expandLists, expandUrl, flatFolderUrl, joinUrl } from "../recipe/mirrors.ts";
import { LOCK_PLACEHOLDER, type PackageOverride } from "../recipe/schema.ts";
import { extensionName } from "../recipe/validate.ts";
import type { LockPlatform, LockedWheel } from "../python/lockfile.ts";
import { evaluateMarker, normalizeName } from "../python/pep508.ts";
import { parsePinnedRequirements, readPinnedRequirements, type PinnedRequirement } from "../python/requirements.ts";
import { parseWheelFilename } from "../python/tags.ts";
import type { Target } from "../python/target.ts";
import type { BuildRequirementArtifact, PlanArtifact, SdistArtifact } from "./artifact.ts";
import { shownPath } from "./shown.ts";

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

export async function wheelArtifacts(loaded: LoadedRecipe, target: Target, lp: LockPlatform | undefined, problems: string[]): Promise<PlanArtifact[]> {
  const r = loaded.recipe;
  if (!r.wheels) return [];
  const reqs = await pinnedRequirements(loaded, target);
  const out: PlanArtifact[] = [];
  const builds = new Map<string, BuildRequirementArtifact>();
  const lockedByName = new Map((lp?.wheels ?? []).map((w) => [w.name, w]));
  const dest = target.scheme.purelib;
  for (const q of reqs) {
    const [overrideName, override] = findOverride(r.wheels.packages, q.key) ?? [];
    const source: SourcePos = { file: q.file, line: q.line, col: q.col };
    const requirement = `${q.name}==${q.version}`;
    const lw = lockedByName.get(q.key);
    if (lw && lw.version !== q.version) problems.push(`${q.key}: the lock has ${lw.version}, the requirements pin ${q.version}`);
    const lockOk = lw && lw.version === q.version ? lw : undefined;
    if (lp && !lw) problems.push(`${q.key}==${q.version} is not in the lock`);
    const base = { name: q.key, version: q.version, dest, requirement, source };
    if (override?.sdist) {
      const linesAt: (string | number)[] = override.build_requires ? ["wheels", "packages", overrideName!, "build_requires"] : ["wheels", "build_requires"];
      const lines = override.build_requires ?? r.wheels.build_requires ?? [];
      const ids = lines.map((line, i) => buildRequirement(loaded, line, [...linesAt, i], lp, builds, problems).id);
      const sdistSha = override.sha256 && override.sha256 !== LOCK_PLACEHOLDER ? override.sha256 : lp?.artifacts[`sdist:${q.key}`]?.sha256;
      const urls = expandUrl(override.sdist, r.mirrors);
      const sdist: SdistArtifact = {
        id: `sdist:${q.key}`, kind: "sdist", ...base, urls, ...(sdistSha ? { locked: true, sha256: sdistSha } : { locked: false }),
        ...(lockOk ? { wheel: lockOk.filename } : {}), buildRequirements: ids,
      };
      out.push(sdist);
      continue;
    }
    const indexes = override?.indexes ?? r.wheels.indexes;
    const findLinks = override?.find_links ?? [];
    if (lockOk) {
      out.push({ id: `wheel:${q.key}`, kind: "wheel", ...base, filename: lockOk.filename, urls: lockedWheelUrls(lockOk, r.mirrors, findLinks), sha256: lockOk.sha256, size: lockOk.size, locked: true });
    } else {
      const pages = expandLists(indexes, r.mirrors).map((b) => joinUrl(b, `${q.key}/`));
      out.push({ id: `wheel:${q.key}`, kind: "wheel", ...base, urls: pages, locked: false });
    }
  }
  if (lp) {
    const wanted = new Set(reqs.map((q) => q.key));
    for (const w of lp.wheels) if (!wanted.has(w.name)) problems.push(`the lock has ${w.name}==${w.version}, which the requirements no longer pin`);
  }
  return [...out, ...builds.values()];
}

/**
 * The artifact of one build requirement line (shared by every sdist that names it). `bundle lock`
 * pins its wheel as `build:<name>` with the URL it came from; a pin whose file is another version
 * than the line asks for is stale.
 */
function buildRequirement(loaded: LoadedRecipe, line: string, at: (string | number)[], lp: LockPlatform | undefined, builds: Map<string, BuildRequirementArtifact>, problems: string[]): BuildRequirementArtifact {
  const source = loaded.locate(at);
  const q = parsePinnedRequirements(line, source.file).reqs[0];
  if (!q) {
    throw new BundleError("RECIPE", `build requirement "${line}" is not name==version`, {
      diagnostics: [{ ...source, path: at.join("."), message: `build requirement "${line}" must pin one version: name==version`, hint: "e.g. setuptools==69.5.1" }],
    });
  }
  const id = `build:${q.key}`;
  const known = builds.get(id);
  if (known) return known;
  const pinned = lp?.artifacts[id];
  const pinnedVersion = pinned ? parseWheelFilename(decodeURIComponent(new URL(pinned.url).pathname.split("/").pop() ?? ""))?.version : undefined;
  const fresh = pinned && (pinnedVersion === undefined || pinnedVersion === q.version) ? pinned : undefined;
  if (lp && !pinned) problems.push(`build requirement ${line} is not in the lock`);
  if (pinned && !fresh) problems.push(`build requirement ${line}: the lock has ${q.key} ${pinnedVersion}`);
  const r = loaded.recipe;
  const [, override] = findOverride(r.wheels?.packages, q.key) ?? [];
  const pages = expandLists(override?.indexes ?? r.wheels?.indexes ?? [], r.mirrors).map((b) => joinUrl(b, `${q.key}/`));
  const a: BuildRequirementArtifact = {
    id, kind: "build-requirement", name: q.key, version: q.version, requirement: `${q.name}==${q.version}`, source,
    ...(fresh ? { urls: [fresh.url], sha256: fresh.sha256, size: fresh.size, locked: true } : { urls: pages, locked: false }),
  };
  builds.set(id, a);
  return a;
}

/** The recipe's override for a package (by normalised name), with the key it is written under. */
export function findOverride(packages: Record<string, PackageOverride> | undefined, key: string): [string, PackageOverride] | undefined {
  if (!packages) return undefined;
  for (const [name, o] of Object.entries(packages)) if (normalizeName(name) === key) return [name, o];
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
