// Reading bundle.json, the launcher's only configuration (src/assemble/bundle-json.ts). Checked by
// hand rather than with zod so that the launcher stays free of dependencies and starts fast.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BundleJson, LauncherConfig } from "../../assemble/bundle-json.ts";

export const BUNDLE_JSON = "bundle.json";

export interface LoadedBundle {
  json: BundleJson;
  launcher: LauncherConfig;
  /** Globs of files the app may change (bundle.json verify.allow_changes). */
  allowChanges: string[];
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

export function loadBundle(root: string): LoadedBundle {
  const json = JSON.parse(readFileSync(join(root, BUNDLE_JSON), "utf8")) as BundleJson;
  need(json && typeof json === "object", "not a JSON object");
  need(Array.isArray(json.files), "files must be a list");
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
  return { json, launcher, allowChanges: json.verify?.allow_changes ?? [] };
}
