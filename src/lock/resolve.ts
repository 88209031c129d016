// One requirement of `bundle lock`: find its wheel on the package's indexes and find-links pages
// (select.ts decides), read its METADATA the cheapest way (index-client.ts), or for a source-only
// package fetch the sdist, its pinned build requirements, and build it once (sdist.ts).

import { BundleError } from "../core/errors.ts";
import type { Platform } from "../core/platform.ts";
import type { FetchOptions } from "../fetch/types.ts";
import { lockedWheelUrls } from "../plan/plan.ts";
import { expandUrl, joinUrl } from "../recipe/mirrors.ts";
import type { PackageOverride } from "../recipe/schema.ts";
import { localWheelMetadata, type IndexClient, type MetadataVia, type ProjectFiles } from "../python/index-client.ts";
import type { LockOptions } from "./options.ts";
import type { LockedArtifact, LockedWheel } from "../python/lockfile.ts";
import { parseMetadata } from "../python/metadata.ts";
import { fetchOne } from "../python/net.ts";
import { normalizeName } from "../python/pep508.ts";
import { parsePinnedRequirements, type PinnedRequirement } from "../python/requirements.ts";
import { buildSdist } from "../python/sdist.ts";
import { chooseWheel, gatherCandidates, versionMatches, type Candidate } from "../python/select.ts";
import { relativeToPage } from "../python/simple-index.ts";
import type { Target } from "../python/target.ts";

export interface Resolver {
  o: LockOptions;
  platform: Platform;
  target: Target;
  client: IndexClient;
  /** This platform's pinned artifacts; build requirements are added as `build:<name>`. */
  artifacts: Record<string, LockedArtifact>;
  /** sha256 of a file name in the existing lock (find-links files have no hash of their own). */
  lockedHash: (filename: string) => string | undefined;
}

export type LockedWithMetadata = LockedWheel & { requiresDist: string[] };
/** A failure keeps the error behind it (network, integrity…), so that the lock's error can say what to do about it. */
export type Resolved = { wheel: LockedWithMetadata; warnings: string[]; via: MetadataVia | "sdist" } | { failure: string; error?: BundleError };

export function findOverride(packages: Record<string, PackageOverride> | undefined, key: string): PackageOverride | undefined {
  for (const [name, o] of Object.entries(packages ?? {})) if (normalizeName(name) === key) return o;
  return undefined;
}

function fetchOpts(o: LockOptions): FetchOptions {
  return { cacheDir: o.cacheDir, ...(o.emit ? { emit: o.emit } : {}), ...(o.signal ? { signal: o.signal } : {}), ...(o.env ? { env: o.env } : {}), ...(o.offline ? { offline: true } : {}) };
}

export async function resolveRequirement(rv: Resolver, q: PinnedRequirement): Promise<Resolved> {
  const ov = findOverride(rv.o.loaded.recipe.wheels?.packages, q.key);
  try {
    return ov?.sdist ? await resolveSdist(rv, q, ov) : await resolveWheel(rv, q, ov);
  } catch (e) {
    if (e instanceof BundleError && e.code !== "INTERRUPTED" && e.code !== "RECIPE") return { failure: `${q.name}==${q.version} on ${rv.platform}: ${e.message}`, error: e };
    throw e;
  }
}

type Found = { failure: string } | { entry: Omit<LockedWheel, "size">; candidate: Candidate; urls: string[]; warnings: string[] };

/** The best wheel of `key==version` on the package's indexes and find-links pages. */
async function findWheel(rv: Resolver, key: string, version: string, ov: PackageOverride | undefined, label: string): Promise<Found> {
  const r = rv.o.loaded.recipe;
  const lists = ov?.indexes ?? r.wheels!.indexes;
  const flats = ov?.find_links ?? [];
  const pages: (ProjectFiles & { flat?: boolean })[] = [];
  for (const l of lists) {
    const pg = await rv.client.project(l, key);
    if (pg) pages.push(pg);
  }
  for (const f of flats) {
    const pg = await rv.client.flat(f);
    if (pg) pages.push({ ...pg, flat: true });
  }
  if (pages.length === 0) {
    const asked = lists.flatMap((l) => (r.mirrors[l] ?? []).map((b) => joinUrl(b, `${key}/`)));
    return { failure: `${label} on ${rv.platform}: no mirror of ${lists.join(", ")} has a project "${key}" (not found at ${asked.join(", ")})` };
  }
  const cands = gatherCandidates(pages, key, rv.lockedHash);
  const sdists = pages.filter((p) => !p.flat).flatMap((p) => p.files).filter((f) => !f.filename.endsWith(".whl"));
  const sources = [...new Set(pages.map((p) => p.list))].join("/");
  const res = chooseWheel(version, cands, sdists, rv.target, sources, key);
  // With nothing usable on the pages at all, say which pages were read (a mirror serving the wrong thing).
  const read = cands.length === 0 && sdists.length === 0 ? ` (read ${pages.map((p) => p.pageUrl).join(", ")})` : "";
  if (!res.ok) return { failure: `${label} on ${rv.platform}: ${res.reason}${read}` };
  const c = res.choice.candidate;
  // Find-links files live at <base>/<file>; the lock's path is relative to <base>/<name>/.
  const page = c.flat ? new URL(`${key}/`, c.pageUrl).href : c.pageUrl;
  const alsoFlat = c.alsoFlat ? { find_links: c.alsoFlat.list, find_links_path: relativeToPage(new URL(`${key}/`, c.alsoFlat.pageUrl).href, c.alsoFlat.url) } : {};
  const entry = { name: key, version, filename: c.file.filename, sha256: c.sha256!, index: c.list, path: relativeToPage(page, c.file.url), ...alsoFlat };
  const urls = lockedWheelUrls({ ...entry, size: 0 }, r.mirrors, flats);
  return { entry, candidate: c, urls, warnings: res.choice.warnings.map((w) => `${rv.platform}: ${w}`) };
}

async function resolveWheel(rv: Resolver, q: PinnedRequirement, ov: PackageOverride | undefined): Promise<Resolved> {
  const found = await findWheel(rv, q.key, q.version, ov, `${q.name}==${q.version}`);
  if ("failure" in found) return found;
  const md = await rv.client.metadata(found.candidate.file, found.entry.sha256, found.urls, `wheel:${q.key}`);
  const meta = parseMetadata(md.text);
  if (normalizeName(meta.name) !== q.key || !versionMatches(meta.version, q.version)) {
    return { failure: `${q.name}==${q.version} on ${rv.platform}: ${found.entry.filename} says it is ${meta.name} ${meta.version} in its METADATA` };
  }
  return { wheel: { ...found.entry, size: md.size, requiresDist: meta.requiresDist }, warnings: found.warnings, via: md.via };
}

async function resolveSdist(rv: Resolver, q: PinnedRequirement, ov: PackageOverride): Promise<Resolved> {
  const r = rv.o.loaded.recipe;
  const id = `sdist:${q.key}`;
  const sha256 = ov.sha256 && ov.sha256 !== "lock" ? ov.sha256 : rv.artifacts[id]?.sha256;
  const urls = expandUrl(ov.sdist!, r.mirrors);
  if (!sha256) return { failure: `${q.name}==${q.version} on ${rv.platform}: the sdist has no sha256 (wheels.packages.${q.key}.sha256)` };
  const sdist = await fetchOne({ id, urls, sha256 }, fetchOpts(rv.o));
  const buildWheels: string[] = [];
  for (const line of ov.build_requires ?? r.wheels?.build_requires ?? []) {
    const pinned = parsePinnedRequirements(line, "wheels.build_requires").reqs[0];
    if (!pinned) return { failure: `${q.name}==${q.version}: build requirement "${line}" must be name==version` };
    const found = await findWheel(rv, pinned.key, pinned.version, findOverride(r.wheels?.packages, pinned.key), `build requirement ${line}`);
    if ("failure" in found) return found;
    const got = await fetchOne({ id: `build:${pinned.key}`, urls: found.urls, sha256: found.entry.sha256 }, fetchOpts(rv.o));
    rv.artifacts[`build:${pinned.key}`] = { sha256: got.sha256, size: got.size, url: got.url };
    buildWheels.push(got.path);
  }
  const sdistFilename = decodeURIComponent(new URL(sdist.url).pathname.split("/").pop()!);
  const built = await buildSdist({
    sdist: sdist.path, sdistSha256: sha256, sdistFilename, name: q.name, version: q.version, target: rv.target, cacheDir: rv.o.cacheDir, buildWheels,
    ...(rv.o.python ? { python: rv.o.python } : {}), ...(rv.o.env ? { env: rv.o.env } : {}), ...(rv.o.emit ? { emit: rv.o.emit } : {}), ...(rv.o.signal ? { signal: rv.o.signal } : {}),
  });
  const meta = parseMetadata(await localWheelMetadata(built.path, built.filename));
  return {
    wheel: { name: q.key, version: q.version, filename: built.filename, sha256: built.sha256, size: built.size, index: "sdist", path: sdist.url, sdist_sha256: sha256, requiresDist: meta.requiresDist },
    warnings: [],
    via: "sdist",
  };
}
