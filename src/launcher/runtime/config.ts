// Reading bundle.json, the launcher's only configuration, through the contract the builder and
// the verifier share (src/contract/bundle-json.ts): dependency-free, so the launcher stays small
// and starts fast. The manifest is parsed only when the file check asks for it.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE_JSON, readBundleJson, type BundleHead, type LauncherConfig, type ManifestEntry } from "../../contract/bundle-json.ts";

export interface LoadedBundle {
  /** bundle.json without its manifest (that is `files()`). */
  json: BundleHead;
  launcher: LauncherConfig;
  /** Globs of files the app may change (bundle.json verify.allow_changes). */
  allowChanges: string[];
  /** The manifest, parsed and checked on first use; throws BundleJsonError when it is damaged. */
  files(): ManifestEntry[];
}

/** Throws the file system's error, or a BundleJsonError that names the key at fault. */
export function loadBundle(root: string): LoadedBundle {
  const r = readBundleJson(readFileSync(join(root, BUNDLE_JSON)));
  return { json: r.head, launcher: r.head.launcher, allowChanges: r.head.verify?.allow_changes ?? [], files: () => r.files() };
}
