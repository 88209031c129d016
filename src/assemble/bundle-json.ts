// bundle.json at the bundle root: the bill of materials, the launcher and verify configuration
// the builder resolved from the recipe, and a manifest of every file. Written by assembly, read
// by the launcher (manifest check, config) and by `bundle verify`.

import { withoutCredentials } from "../core/errors.ts";
import { PLATFORM_FACTS, type Platform } from "../core/platform.ts";

export const BUNDLE_JSON = "bundle.json";
export const BUNDLE_FORMAT = 1;

export type ComponentKind = "python" | "git" | "node" | "wheel" | "repo" | "extension" | "file" | "launcher";

export interface Component {
  kind: ComponentKind;
  name: string;
  version?: string;
  commit?: string;
  /** The URL actually used (the mirror that served it). */
  url?: string;
  sha256?: string;
  size?: number;
  license?: string;
  /** Where it is in the bundle. */
  dest: string;
}

export interface ManifestEntry {
  /** '/'-separated path relative to the bundle root. */
  path: string;
  size: number;
  sha256: string;
  /** True for files that must keep the executable bit on Linux. */
  exec?: boolean;
  /** Symbolic links: the link text; size and sha256 are then those of the file it resolves to. */
  link?: string;
}

/** The launcher's configuration, resolved from the recipe's `launcher` block. */
export interface LauncherConfig {
  name: string;
  title: string;
  version: string;
  /** Working folder relative to the bundle root ("" = root). */
  cwd: string;
  /** Command line with placeholders {bundle} {python} {git} {port} still in it. */
  command: string[];
  port: number;
  ready: string;
  env: Record<string, string>;
  gpu: { cpu: string[]; vram: { below_gb?: number; args: string[] }[] };
  /** Interpreter, relative to the bundle root (python/python.exe or python/bin/python3). */
  python: string;
  /** Bundled git relative to the bundle root, or null to use the git on PATH. */
  git: string | null;
  /** Folders of bundled repositories (for git safe.directory). */
  repos: string[];
  /** First PyPI mirror of the recipe (PIP_INDEX_URL), if any. */
  pipIndexUrl?: string;
}

export interface BundleJson {
  format: typeof BUNDLE_FORMAT;
  name: string;
  version: string;
  title: string;
  platform: Platform;
  builder: { name: "greenbundle"; version: string };
  components: Component[];
  launcher: LauncherConfig;
  /** The recipe's verify block, when it has one. */
  verify?: {
    api: "a1111";
    txt2img: Record<string, unknown>;
    timeout: number;
    allow_changes: string[];
  };
  /** Every file of the bundle except bundle.json itself, sorted by path. */
  files: ManifestEntry[];
}

// ---------------------------------------------------------------------------------------------
// Writer. Reproducible (DESIGN.md): keys in a fixed order, components and files sorted, no build
// time and no absolute build paths — two builds of the same inputs write the same bytes.

export interface LauncherInputs {
  recipe: {
    title?: string | undefined;
    name: string;
    version: string;
    mirrors: Record<string, string[]>;
    wheels?: { indexes: string[] } | undefined;
    launcher: {
      name: string;
      cwd?: string | undefined;
      command: string[];
      port: number;
      ready: string;
      env?: Record<string, string> | undefined;
      gpu?: { cpu?: string[] | undefined; vram?: { below_gb?: number | undefined; args: string[] }[] | undefined } | undefined;
    };
  };
  platform: Platform;
  /** Interpreter relative to the bundle root (the target's python path). */
  python: string;
  /** Whether the bundle carries a portable git. */
  hasGit: boolean;
  /** Folders of every placed repository and extension. */
  repos: string[];
}

export function resolveLauncherConfig(i: LauncherInputs): LauncherConfig {
  const l = i.recipe.launcher;
  const firstIndex = i.recipe.wheels?.indexes[0];
  // Written into the bundle for end users: never with the maintainer's credentials.
  const firstUrl = firstIndex ? i.recipe.mirrors[firstIndex]?.[0] : undefined;
  const pipIndexUrl = firstUrl === undefined ? undefined : withoutCredentials(firstUrl);
  return {
    name: l.name,
    title: i.recipe.title ?? i.recipe.name,
    version: i.recipe.version,
    cwd: l.cwd ?? "",
    command: [...l.command],
    port: l.port,
    ready: l.ready,
    env: sortedRecord(l.env ?? {}),
    gpu: {
      cpu: [...(l.gpu?.cpu ?? [])],
      vram: (l.gpu?.vram ?? []).map((v) => (v.below_gb !== undefined ? { below_gb: v.below_gb, args: [...v.args] } : { args: [...v.args] })),
    },
    python: i.python,
    git: i.hasGit ? PLATFORM_FACTS[i.platform].bundledGit : null,
    repos: [...i.repos].sort(),
    ...(pipIndexUrl ? { pipIndexUrl } : {}),
  };
}

function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]!]));
}

const KIND_ORDER: ComponentKind[] = ["python", "git", "node", "launcher", "wheel", "repo", "extension", "file"];

/** Components in a stable order: by kind, then destination, then name. */
export function sortComponents(cs: readonly Component[]): Component[] {
  const key = (c: Component) => [KIND_ORDER.indexOf(c.kind), c.dest, c.name] as const;
  return [...cs].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return ka[0] - kb[0] || (ka[1] < kb[1] ? -1 : ka[1] > kb[1] ? 1 : 0) || (ka[2] < kb[2] ? -1 : ka[2] > kb[2] ? 1 : 0);
  });
}

/** A component with its keys in the documented order and undefined fields left out. */
function orderedComponent(c: Component): Component {
  const out: Record<string, unknown> = { kind: c.kind, name: c.name };
  for (const k of ["version", "commit", "url", "sha256", "size", "license"] as const) if (c[k] !== undefined) out[k] = c[k];
  out.dest = c.dest;
  return out as unknown as Component;
}

export function serializeBundleJson(b: BundleJson): string {
  const doc = {
    format: b.format,
    name: b.name,
    version: b.version,
    title: b.title,
    platform: b.platform,
    builder: b.builder,
    components: sortComponents(b.components).map(orderedComponent),
    launcher: b.launcher,
    ...(b.verify ? { verify: b.verify } : {}),
    files: [...b.files].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0)),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}
