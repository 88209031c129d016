// Choosing the one file for a pinned requirement on a target: version per PEP 440
// (local versions such as 2.1.2+cu121 included), Requires-Python, tag priority, a known sha256.
// Says why when nothing fits, so the user can act on it: "pytorch offers cp311/cp312 only; cp310 needed".

import { compare, satisfies, valid } from "@renovatebot/pep440";
import type { IndexFile } from "./simple-index.ts";
import { matchWheel, parseWheelFilename, platformTags, type WheelName } from "./tags.ts";
import type { Target } from "./target.ts";

export interface Candidate {
  file: IndexFile;
  wheel: WheelName;
  /** Mirror list whose page listed it with a hash (the lock's `index`), or the find-links list. */
  list: string;
  /** The project page of that list: the lock's `path` is relative to it. */
  pageUrl: string;
  /** From the index page, or from the existing lock for find-links files. */
  sha256?: string;
  /** Listed only on a find-links page. */
  flat?: boolean;
  /** Listed on an index and also on a find-links page: where the find-links copy is. */
  alsoFlat?: { list: string; pageUrl: string; url: string };
}

export interface Choice {
  candidate: Candidate;
  tag: string;
  warnings: string[];
}

export type ChoiceResult = { ok: true; choice: Choice } | { ok: false; reason: string };

/** Whether file version `v` is the pinned `pin` (PEP 440 `==`, which ignores a local label the pin lacks). */
export function versionMatches(v: string, pin: string): boolean {
  if (v === pin) return true;
  if (!valid(v) || !valid(pin)) return false;
  return satisfies(v, `==${pin}`, { prereleases: true });
}

const uniq = <T>(xs: T[]) => [...new Set(xs)];

function sortVersions(vs: string[]): string[] {
  return uniq(vs).sort((a, b) => (valid(a) && valid(b) ? compare(b, a) : a < b ? 1 : -1));
}

/** Candidates from index pages (hashes) and find-links pages (bytes; hash from the index or the lock). */
export function gatherCandidates(pages: { list: string; pageUrl: string; files: IndexFile[]; flat?: boolean }[], key: string, lockedHash: (filename: string) => string | undefined): Candidate[] {
  const byName = new Map<string, Candidate>();
  for (const p of pages) {
    for (const f of p.files) {
      const wheel = parseWheelFilename(f.filename);
      if (!wheel || wheel.name !== key) continue;
      const seen = byName.get(f.filename);
      if (seen) {
        // First list wins the hash (indexes come before find-links); a find-links copy is still the faster source of bytes.
        if (p.flat && !seen.flat && !seen.alsoFlat) seen.alsoFlat = { list: p.list, pageUrl: p.pageUrl, url: f.url };
        continue;
      }
      const sha256 = f.sha256 ?? lockedHash(f.filename);
      byName.set(f.filename, { file: f, wheel, list: p.list, pageUrl: p.pageUrl, ...(sha256 ? { sha256 } : {}), ...(p.flat ? { flat: true } : {}) });
    }
  }
  return [...byName.values()];
}

export function chooseWheel(pin: string, cands: Candidate[], sdists: IndexFile[], target: Target, sources: string, key: string): ChoiceResult {
  const ofVersion = cands.filter((c) => versionMatches(c.wheel.version, pin));
  if (ofVersion.length === 0) {
    const src = sdists.find((s) => versionMatches(sdistVersion(s.filename) ?? "", pin));
    if (src) return { ok: false, reason: `${sources} has only a source archive (${src.filename}) for ${pin}; declare wheels.packages.${key}.sdist to build it` };
    const offered = sortVersions(cands.map((c) => c.wheel.version));
    if (offered.length === 0) return { ok: false, reason: `${sources} lists no wheels for ${key}` };
    return { ok: false, reason: `${sources} offers ${offered.slice(0, 8).join(", ")}${offered.length > 8 ? ", …" : ""} (no ${pin})` };
  }
  const fitting = ofVersion.map((c) => ({ c, m: matchWheel(target, c.wheel) })).filter((x) => x.m.ok);
  if (fitting.length === 0) return { ok: false, reason: tagSummary(ofVersion.map((c) => c.wheel), target, sources) };
  const py = fitting.filter(({ c }) => !c.file.requiresPython || pythonOk(target.pythonVersion, c.file.requiresPython));
  if (py.length === 0) return { ok: false, reason: `${fitting[0]!.c.file.filename} requires Python ${fitting[0]!.c.file.requiresPython}; the target is ${target.pythonVersion}` };
  const hashed = py.filter(({ c }) => c.sha256);
  if (hashed.length === 0) {
    const f = py[0]!.c;
    return { ok: false, reason: `${f.list} lists ${f.file.filename} without a sha256, and neither the package's indexes nor the lock has one (add the index that publishes it to wheels.packages.${key}.indexes)` };
  }
  const rank = (x: (typeof hashed)[number]) => [x.c.wheel.version === pin ? 0 : 1, x.c.file.yanked ? 1 : 0, x.m.ok ? x.m.priority : 1e9, -Number(x.c.wheel.build?.match(/^\d+/)?.[0] ?? 0)];
  hashed.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
    return a.c.file.filename < b.c.file.filename ? -1 : 1;
  });
  const best = hashed[0]!;
  const warnings: string[] = [];
  if (best.c.file.yanked) warnings.push(`${best.c.file.filename} is yanked${best.c.file.yanked === true ? "" : `: ${best.c.file.yanked}`}`);
  return { ok: true, choice: { candidate: best.c, tag: best.m.ok ? best.m.tag : "", warnings } };
}

function pythonOk(version: string, spec: string): boolean {
  try {
    return satisfies(version, spec.replace(/\s+/g, ""), { prereleases: true });
  } catch {
    return true; // an unparsable Requires-Python is not a reason to refuse (pip warns and ignores it too)
  }
}

/** The version part of an sdist file name (`name-1.2.tar.gz`). */
export function sdistVersion(filename: string): string | undefined {
  return /-([^-]+)\.(tar\.gz|zip|tar\.bz2)$/.exec(filename)?.[1];
}

/** One sentence on why none of the wheels of the pinned version fits the target. */
function tagSummary(wheels: WheelName[], target: Target, sources: string): string {
  const plats = new Set(platformTags(target));
  const platOk = wheels.filter((w) => w.platformTags.some((p) => plats.has(p) || p === "any"));
  const cp = `cp${target.nodot}`;
  if (platOk.length > 0) {
    const pys = uniq(platOk.flatMap((w) => w.pythonTags)).sort();
    if (!pys.includes(cp)) return `${sources} offers ${pys.join("/")} only; ${cp} needed`;
  }
  const reasons = uniq(wheels.map((w) => matchWheel(target, w)).flatMap((m) => (m.ok ? [] : [m.reason])));
  return `${sources}: ${reasons.join("; ")}`;
}
