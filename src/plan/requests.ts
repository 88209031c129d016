// Which plan artifacts are files to fetch (pure): every download, including what only the build
// uses (an sdist's build requirements, the build machine's Node). Repositories and extensions
// (commits) belong to the git stage; files given inline (`text:`) need no fetching; artifacts
// without a known sha256 (an unlocked wheel, a recipe hash written as "lock") cannot be fetched
// verified and are returned apart, so that the caller can fetch everything else first and then
// say what to lock.

import { isDownload, type DownloadArtifact, type Plan } from "./plan.ts";
import { BundleError } from "../core/errors.ts";
import type { FetchRequest } from "../fetch/types.ts";

export interface PlanRequests {
  requests: FetchRequest[];
  /** Artifacts that need `bundle lock` before they can be fetched. */
  unlocked: DownloadArtifact[];
}

export function planRequests(plan: Plan): PlanRequests {
  const requests: FetchRequest[] = [];
  const unlocked: DownloadArtifact[] = [];
  for (const a of plan.artifacts) {
    if (!isDownload(a)) continue;
    // Validation should make this impossible; skipping it silently would ship a bundle without it.
    if (a.urls.length === 0) {
      throw new BundleError("RECIPE", `${a.id} has no download URL`, { hint: "give it a mirror://<list>/<path> or https:// URL; mirror lists must be defined and not empty" });
    }
    if (!a.locked) {
      unlocked.push(a);
      continue;
    }
    requests.push({ id: a.id, urls: a.urls, sha256: a.sha256, ...(a.size !== undefined ? { size: a.size } : {}) });
  }
  return { requests, unlocked };
}
