// bundle.json at the bundle root: the bill of materials, the launcher and verify configuration
// the builder resolved from the recipe, and a manifest of every file. Written by assembly, read
// by the launcher (manifest check, config) and by `bundle verify`.

import type { Platform } from "../core/platform.ts";

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
