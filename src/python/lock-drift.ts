// Ways a lock can disagree with its recipe beyond the pins and the Python version: an artifact
// whose sha256 is "lock" now names other URLs (the pinned hash is for other bytes), a wheel was
// resolved from an index the package no longer uses, or a package switched between a wheel and
// an sdist. Each makes the lock stale: `bundle build` re-resolves it, `--locked` refuses it.
// Pure: the recipe and one platform's entry of the lock in, sentences out.

import type { Platform } from "../core/platform.ts";
import { expandUrl } from "../recipe/mirrors.ts";
import { LOCK_PLACEHOLDER, type Recipe } from "../recipe/schema.ts";
import type { LockPlatform } from "./lockfile.ts";
import { normalizeName } from "./pep508.ts";

/** Recipe artifacts whose hash the lock pins, by the id the lock files them under. */
function lockPinned(r: Recipe, platform: Platform): { id: string; url: string }[] {
  const out: { id: string; url: string }[] = [];
  const add = (id: string, a: { url?: string | undefined; sha256?: string | undefined } | undefined) => {
    if (a?.url !== undefined && a.sha256 === LOCK_PLACEHOLDER) out.push({ id, url: a.url });
  };
  add("python", r.python[platform]);
  add("git", r.git?.[platform]);
  add("node", r.launcher.node[platform]);
  for (const f of r.files) add(`file:${f.path}`, f);
  for (const [name, o] of Object.entries(r.wheels?.packages ?? {})) if (o.sdist) add(`sdist:${normalizeName(name)}`, { url: o.sdist, sha256: o.sha256 });
  return out;
}

export function lockDrift(r: Recipe, platform: Platform, lp: LockPlatform | undefined): string[] {
  if (!lp) return [];
  const problems: string[] = [];
  for (const a of lockPinned(r, platform)) {
    const pinned = lp.artifacts[a.id];
    const urls = expandUrl(a.url, r.mirrors);
    if (pinned && !urls.includes(pinned.url)) problems.push(`${a.id}: the lock pinned the bytes of ${pinned.url}; the recipe now names ${a.url}`);
  }
  const overrides = new Map(Object.entries(r.wheels?.packages ?? {}).map(([k, v]) => [normalizeName(k), v]));
  for (const w of lp.wheels) {
    const o = overrides.get(w.name);
    if (w.index === "sdist") {
      if (!o?.sdist) problems.push(`${w.name}: the lock built it from an sdist; the recipe no longer names one`);
      else if (!expandUrl(o.sdist, r.mirrors).includes(w.path)) problems.push(`${w.name}: the lock built it from ${w.path}; the recipe now names ${o.sdist}`);
      else if (o.sha256 && o.sha256 !== LOCK_PLACEHOLDER && w.sdist_sha256 && o.sha256 !== w.sdist_sha256) problems.push(`${w.name}: the lock built it from an sdist with sha256 ${w.sdist_sha256}; the recipe now says ${o.sha256}`);
      continue;
    }
    if (o?.sdist) {
      problems.push(`${w.name}: the lock has the wheel ${w.filename}; the recipe now builds it from ${o.sdist}`);
      continue;
    }
    const lists = [...(o?.indexes ?? r.wheels?.indexes ?? []), ...(o?.find_links ?? [])];
    if (!lists.includes(w.index)) problems.push(`${w.name}: the lock resolved it from "${w.index}"; the recipe now resolves it from ${lists.map((l) => `"${l}"`).join(", ") || "no index"}`);
  }
  return problems;
}
