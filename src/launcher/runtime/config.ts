// Reading bundle.json, the launcher's only configuration (src/assemble/bundle-json.ts). Checked by
// hand rather than with zod so that the launcher stays free of dependencies and starts fast.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BundleJson, LauncherConfig, ManifestEntry } from "../../assemble/bundle-json.ts";

export const BUNDLE_JSON = "bundle.json";

export interface LoadedBundle {
  /** bundle.json; its `files` are only in `files()`. */
  json: Omit<BundleJson, "files">;
  launcher: LauncherConfig;
  /** Globs of files the app may change (bundle.json verify.allow_changes). */
  allowChanges: string[];
  /** The manifest, parsed on first use. */
  files(): ManifestEntry[];
}

function need(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`bundle.json: ${what}`);
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");

function checkLauncher(l: LauncherConfig): void {
  need(l && typeof l === "object", "launcher is missing");
  need(isStrings(l.command) && l.command.length > 0, "launcher.command must be a non-empty list of strings");
  need(Number.isInteger(l.port) && l.port > 0 && l.port < 65536, "launcher.port must be a port number");
  need(typeof l.ready === "string" && l.ready.startsWith("/"), "launcher.ready must be a URL path");
  need(typeof l.python === "string", "launcher.python must be a path");
  need(l.git === null || typeof l.git === "string", "launcher.git must be a path or null");
}

/**
 * The manifest is most of bundle.json (50,000 files: ~7 MB, ~150 ms to parse here), and nothing
 * before the spawn needs it. The builder writes bundle.json as JSON.stringify(doc, null, 2) with
 * `files` last (serializeBundleJson), so the top-level key is the only "\n  \"files\": [" in the
 * text (a string cannot hold a raw newline): everything before it parses on its own. Any other
 * layout falls back to one full parse.
 */
const FILES_KEY = Buffer.from('\n  "files": [');

function parseHead(raw: Buffer): Record<string, unknown> | undefined {
  const at = raw.lastIndexOf(FILES_KEY);
  if (at < 0) return undefined;
  const head = raw.subarray(0, at).toString("utf8").trimEnd();
  if (!head.endsWith(",")) return undefined;
  try {
    return JSON.parse(head.slice(0, -1) + "\n}") as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function loadBundle(root: string): LoadedBundle {
  const raw = readFileSync(join(root, BUNDLE_JSON));
  let full: BundleJson | undefined;
  const parseFull = (): BundleJson => (full ??= JSON.parse(raw.toString("utf8")) as BundleJson);
  const json = (parseHead(raw) ?? parseFull()) as BundleJson;
  need(json && typeof json === "object", "not a JSON object");
  checkLauncher(json.launcher);
  const l = json.launcher;
  const launcher: LauncherConfig = {
    ...l,
    title: l.title ?? json.title ?? json.name,
    version: l.version ?? json.version,
    cwd: l.cwd ?? "",
    env: l.env ?? {},
    gpu: { cpu: l.gpu?.cpu ?? [], vram: l.gpu?.vram ?? [] },
    repos: l.repos ?? [],
  };
  const files = (): ManifestEntry[] => {
    const f = parseFull().files;
    need(Array.isArray(f), "files must be a list");
    return f;
  };
  return { json, launcher, allowChanges: json.verify?.allow_changes ?? [], files };
}
