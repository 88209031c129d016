// What a plan lists: one artifact per thing a build needs, as a union by `kind`, so that every
// consumer handles each kind by name and finds the fields that kind has (a repository's commit, a
// locked wheel's file name) without guessing from which optional fields happen to be set.
//
// Downloads carry their candidate URLs and, once pinned, the sha256 the bytes must have; a download
// without one (`locked: false`) cannot be fetched verified and waits for `bundle lock`.
// Repositories carry a commit instead. Some artifacts are placed in the bundle (`dest`); two are
// only used while building: the wheels an sdist is built with, and the Node that writes the
// launcher's SEA blob when the launcher is for another platform.

import type { SourcePos } from "../core/errors.ts";
import type { Platform } from "../core/platform.ts";

interface Base {
  /**
   * Stable identity, unique in a plan and used as the key of fetched files and of the lock's
   * pinned artifacts: "python", "git", "node", "node:host", "wheel:<name>", "sdist:<name>",
   * "build:<name>", "repo:<path>", "extension:<name>", "file:<path>".
   */
  id: string;
  name: string;
  /** Where the recipe (or the requirements file) declares it. */
  source: SourcePos;
}

/** Bytes from mirrors, checked against a sha256 (from the recipe, the lock, or an index). */
export type Download = { urls: string[]; size?: number } & ({ locked: true; sha256: string } | { locked: false; sha256?: undefined });

/** The embedded Python runtime archive, unpacked into `python/`. */
export type RuntimeArtifact = Base & Download & { kind: "python"; version: string; dest: string };

/** The portable git archive (MinGit), unpacked into `git/`. */
export type GitArtifact = Base & Download & { kind: "git"; dest: string };

/** The target's Node archive: the launcher executable is made from its binary. */
export type LauncherNodeArtifact = Base & Download & { kind: "node"; role: "launcher"; version?: string; dest: string };

/**
 * The build machine's Node archive of the launcher's Node version: writes the SEA blob when the
 * launcher is for another platform and greenbundle runs on another Node version. Not placed.
 */
export type HostNodeArtifact = Base & Download & { kind: "node"; role: "host"; platform: Platform; version: string };

/** A wheel installed into site-packages (`dest`). Unlocked: `urls` are the index project pages to resolve it from. */
export type WheelArtifact = Base & {
  kind: "wheel";
  version: string;
  /** The requirement as written, `name==version`. */
  requirement: string;
  dest: string;
} & ({ locked: true; filename: string; sha256: string; size: number; urls: string[] } | { locked: false; urls: string[]; sha256?: undefined; size?: undefined });

/** A source archive built into a wheel at build time, then installed like one. */
export type SdistArtifact = Base &
  Download & {
    kind: "sdist";
    version: string;
    requirement: string;
    dest: string;
    /** The wheel it built into when `bundle lock` built it (the lock's file name), if locked. */
    wheel?: string;
    /** Ids of the build-requirement artifacts it is built with, in the recipe's order. */
    buildRequirements: string[];
  };

/** A pinned wheel an sdist is built with (`wheels.build_requires`), put on the build's PYTHONPATH; not placed. */
export type BuildRequirementArtifact = Base &
  Download & {
    kind: "build-requirement";
    version: string;
    requirement: string;
  };

/** A file the recipe places: fetched by URL, or given inline (`text:`, no URLs). */
export type FileArtifact = Base & { kind: "file"; dest: string } & ((Download & { text?: undefined }) | { text: string; urls: []; sha256: string; size: number; locked: true });

/** A git repository (or an extension, which is one placed under the extensions folder) at a pinned commit. */
export type RepoArtifact = Base & {
  kind: "repo" | "extension";
  dest: string;
  urls: string[];
  commit: string;
  /** Remote written as `origin` in the placed checkout. */
  origin: string;
  /** A tag created at `commit` in the placed checkout (lightweight), if the recipe names one. */
  tag?: string;
  locked: true;
  sha256?: undefined;
  size?: undefined;
};

export type PlanArtifact =
  | RuntimeArtifact
  | GitArtifact
  | LauncherNodeArtifact
  | HostNodeArtifact
  | WheelArtifact
  | SdistArtifact
  | BuildRequirementArtifact
  | FileArtifact
  | RepoArtifact;

export type ArtifactKind = PlanArtifact["kind"];
/** The artifact type of one kind (`ArtifactOfKind<"extension">` is a RepoArtifact whose kind is "extension"). */
export type ArtifactOfKind<K extends ArtifactKind> = OfKind<PlanArtifact, K>;
type OfKind<A, K> = A extends { kind: infer AK } ? (K extends AK ? A & { kind: K } : never) : never;

/** Artifacts whose bytes are downloaded (everything but repositories and inline files). */
export type DownloadArtifact = Exclude<PlanArtifact, RepoArtifact | (FileArtifact & { text: string })>;

export function isRepo(a: PlanArtifact): a is RepoArtifact {
  return a.kind === "repo" || a.kind === "extension";
}

export function isDownload(a: PlanArtifact): a is DownloadArtifact {
  return !isRepo(a) && !(a.kind === "file" && a.text !== undefined);
}
