// The assembly steps of `bundle build`, each writing into the bundle folder under construction:
// portable Git, repositories and extensions, files, then the texts (notices, README). The Python
// tree and the launcher come from their own modules (optional.ts).

import { stat } from "node:fs/promises";
import { join } from "node:path";
import { BundleError } from "../core/errors.ts";
import type { Emit } from "../core/events.ts";
import { PLATFORM_FACTS } from "../core/platform.ts";
import type { Fetched } from "../fetch/types.ts";
import type { FetchedRepo } from "../git/cache.ts";
import { keepTree, lookupKept } from "../cache/kept.ts";
import { placeReposKept } from "../git/repos.ts";
import { builderVersion } from "../launcher/script.ts";
import { excludeBytecode } from "./bytecode.ts";
import type { BytecodeMaker, KeptBytecode } from "./python-tree.ts";
import { git } from "../git/run.ts";
import { extractArchive, pinnedArchiveError } from "../pack/extract.ts";
import { isRepo, ofKind, type Plan, type RepoArtifact } from "../plan/plan.ts";
import type { Component } from "../contract/bundle-json.ts";
import { declaredNeeds, describeUnmet, unmetNeeds, type UnmetNeed } from "./extensions.ts";
import { pythonNotice, renderNotices, repoNotice, treeNotice, wheelNotices, type NoticeSection } from "./notices.ts";
import { placeBlob, placeText, probeLinkStrategy, type LinkStrategy } from "./place.ts";
import { loadTemplate, forPlatform, renderTemplate } from "./templates.ts";

export const NOTICES_FILE = "THIRD-PARTY-NOTICES.txt";
export const README_FILE = "README.txt";

const abs = (root: string, rel: string) => join(root, ...rel.split("/"));

/** MinGit into `git/` (platforms with a `bundledGit`): the bundle's own git, since Windows has none. */
export async function placePortableGit(root: string, archive: Fetched, plan: Plan, signal?: AbortSignal): Promise<void> {
  await extractArchive(archive.path, join(root, "git"), { links: "refuse", ...(signal ? { signal } : {}) }).catch((e: unknown) => {
    throw pinnedArchiveError(e, archive);
  });
  const exe = PLATFORM_FACTS[plan.platform].bundledGit;
  if (exe && !(await stat(abs(root, exe)).catch(() => undefined))?.isFile()) {
    throw new BundleError("BUILD", `the git archive ${archive.url} has no ${exe.slice(4)}: it is not a MinGit zip`, {
      hint: `git.${plan.platform} must be a MinGit-<version>-64-bit.zip from git-for-windows`,
    });
  }
}

export function repoArtifacts(plan: Plan): RepoArtifact[] {
  return plan.artifacts.filter(isRepo);
}

/**
 * Every repository, each a kept checkout with its bytecode (compiled by `maker`, as the Python
 * tree was, with the bundle's runtime already in `root`).
 */
export async function placeAllRepos(root: string, plan: Plan, repos: Map<string, FetchedRepo>, o: { cacheDir: string; maker: BytecodeMaker; signal?: AbortSignal }): Promise<{ bytecode: KeptBytecode[]; made: string[]; linked: string[]; known: Map<string, { sha256: string; size: number }> }> {
  const items = repoArtifacts(plan).map((a) => ({ name: a.id, dest: a.dest, commit: a.commit, origin: a.origin, ...(a.tag ? { tag: a.tag } : {}), fetched: fetchedRepo(repos, a) }));
  const files = ofKind(plan, "file").map((a) => a.dest);
  const r = await placeReposKept(items, root, plan.platform, {
    cacheDir: o.cacheDir,
    keyTag: `${builderVersion()}:${o.maker.tag}`,
    compile: async (dir, dest) => {
      const b = await o.maker.compile(dir, [dest], root);
      if (b.compiled > 0) await excludeBytecode(join(dir, ...dest.split("/")));
      return b;
    },
    ...(o.signal ? { signal: o.signal } : {}),
  }, files);
  return { bytecode: [...r.compiled.values()] as KeptBytecode[], made: r.made, linked: r.linked, known: r.known };
}

function fetchedRepo(repos: Map<string, FetchedRepo>, a: RepoArtifact): FetchedRepo {
  const r = repos.get(a.id);
  if (!r) throw new Error(`${a.id} was planned but not gathered`);
  return r;
}

function fetchedFile(files: Map<string, Fetched>, id: string): Fetched {
  const f = files.get(id);
  if (!f) throw new Error(`${id} was planned but not gathered`);
  return f;
}

export interface PlacedFiles {
  strategy: LinkStrategy | undefined;
  counts: Record<LinkStrategy, number>;
  /** Digests known without reading the placed files again (for the manifest). */
  known: Map<string, { sha256: string; size: number }>;
}

export async function placeAllFiles(root: string, plan: Plan, files: Map<string, Fetched>, emit: Emit): Promise<PlacedFiles> {
  const counts: Record<LinkStrategy, number> = { hardlink: 0, reflink: 0, copy: 0 };
  const known = new Map<string, { sha256: string; size: number }>();
  let strategy: LinkStrategy | undefined;
  for (const a of ofKind(plan, "file")) {
    const dest = abs(root, a.dest);
    if (a.text !== undefined) {
      await placeText(a.text, dest);
      continue;
    }
    const f = fetchedFile(files, a.id);
    // Probed once, on the first blob: hardlink, reflink or copy, whichever this disk allows.
    strategy ??= await probeLinkStrategy(f.path, root);
    counts[await placeBlob(f.path, dest, strategy)]++;
    known.set(a.dest, { sha256: f.sha256, size: f.size });
  }
  if (strategy) emit({ type: "info", message: `files placed: ${counts.hardlink} hardlinked, ${counts.reflink} reflinked, ${counts.copy} copied from the cache` });
  return { strategy, counts, known };
}

/** Reports what extensions would pip-install at first launch because the wheel set lacks it. */
export async function checkExtensionNeeds(root: string, plan: Plan, emit: Emit): Promise<UnmetNeed[]> {
  const wheels = new Map([...ofKind(plan, "wheel"), ...ofKind(plan, "sdist")].map((a) => [a.name, a.version]));
  const out: UnmetNeed[] = [];
  for (const a of ofKind(plan, "extension")) {
    const unmet = unmetNeeds(a.name, await declaredNeeds(abs(root, a.dest), plan.target.markers), wheels);
    if (!unmet.length) continue;
    out.push(...unmet);
    emit({
      type: "warning",
      // A1111 pip-installs them at first launch; a ComfyUI custom node fails to import (or its manager installs them): either needs the network.
      message: `extension ${a.name} declares packages the bundle does not have; at first launch the app would try to pip-install them or fail to import them (needs network):\n${unmet.map((u) => `  ${describeUnmet(u)}`).join("\n")}`,
      hint: "add them to wheels.requirements (or the extension's `requirements:` in the recipe) and run `bundle lock`",
    });
  }
  return out;
}

/**
 * The licence of the Node.js runtime inside the launcher executable, read from the Node archive
 * the launcher was built from (its top-level LICENSE, which also covers Node's own dependencies).
 */
export async function nodeNotice(archive: Fetched, version: string | undefined, cacheDir: string, signal?: AbortSignal): Promise<NoticeSection> {
  // Kept under the archive's digest: finding LICENSE means inflating most of a 50 MB archive.
  const kept = (await lookupKept(cacheDir, `node-license:v1:${archive.sha256}`)) ??
    (await keepTree(cacheDir, `node-license:v1:${archive.sha256}`, async (dir) => {
      await extractArchive(archive.path, dir, { strip: true, filter: (p) => p === "LICENSE", links: "refuse", ...(signal ? { signal } : {}) }).catch((e: unknown) => {
        throw pinnedArchiveError(e, archive);
      });
    }));
  const s = await repoNotice(kept.tree, ".", `Node.js${version ? ` ${version}` : ""} (inside the launcher)`, archive.url);
  // Node.js itself is MIT-licensed; its LICENSE file goes on with the licences of what it bundles.
  return { ...s, license: "MIT", files: s.files.map((f) => ({ ...f, label: "LICENSE" })) };
}

/** THIRD-PARTY-NOTICES.txt; returns the licences recognised, by "<kind>:<dest>" and "wheel:<name>". */
export async function writeNotices(root: string, plan: Plan, components: Component[], extra: { key: string; section: NoticeSection }[] = []): Promise<Map<string, string>> {
  const licenses = new Map<string, string>();
  const sections: NoticeSection[] = [];
  const note = (key: string, s: NoticeSection) => {
    sections.push(s);
    if (s.license) licenses.set(key, s.license);
  };
  const py = components.find((c) => c.kind === "python");
  note("python:python", await pythonNotice(root, plan.target.pythonVersion, `Python ${plan.target.pythonVersion}`, py?.url));
  const g = components.find((c) => c.kind === "git");
  if (g) note("git:git", await treeNotice(root, "git", `Git for Windows (MinGit)${g.version ? ` ${g.version}` : ""}`, g.url));
  for (const x of extra) note(x.key, x.section);
  const wheels = await wheelNotices(abs(root, plan.target.scheme.purelib), plan.target.scheme.purelib);
  for (const [name, s] of wheels) note(`wheel:${name}`, s);
  for (const c of components.filter((x) => x.kind === "repo" || x.kind === "extension")) {
    note(`${c.kind}:${c.dest}`, await repoNotice(root, c.dest, `${c.kind === "repo" ? "repository" : "extension"} ${c.dest} @ ${c.commit}`, c.url));
  }
  const header = renderTemplate(await loadTemplate(NOTICES_FILE), { title: plan.recipe.title, version: plan.recipe.version, platform: plan.platform }, plan.platform);
  await placeText(forPlatform(renderNotices(header, sections), plan.platform), join(root, NOTICES_FILE));
  return licenses;
}

export async function writeReadme(root: string, plan: Plan, launcherName: string): Promise<void> {
  const values = {
    title: plan.recipe.title,
    version: plan.recipe.version,
    platform: plan.platform,
    launcher: launcherName + PLATFORM_FACTS[plan.platform].exe,
    bundle: plan.bundleName,
  };
  await placeText(forPlatform(renderTemplate(await loadTemplate(README_FILE), values, plan.platform), plan.platform), join(root, README_FILE));
}

/**
 * The archive timestamp (SOURCE_DATE_EPOCH, else derived from the recipe): the newest
 * committer date of the pinned repositories, so it depends only on the recipe; 2000-01-01 when
 * there are none.
 */
export async function sourceDate(env: NodeJS.ProcessEnv, repos: Map<string, FetchedRepo>): Promise<Date> {
  const fromEnv = env.SOURCE_DATE_EPOCH;
  if (fromEnv && /^\d+$/.test(fromEnv)) return new Date(Number(fromEnv) * 1000);
  let newest = 0;
  for (const r of repos.values()) {
    const committed = r.committed ?? (Number.parseInt((await git(["show", "-s", "--format=%ct", r.commit], { cwd: r.bare, isolated: true, reject: false })).stdout.trim(), 10) || 0);
    newest = Math.max(newest, committed);
  }
  return new Date(newest > 0 ? newest * 1000 : Date.UTC(2000, 0, 1));
}
