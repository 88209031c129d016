// Text files from templates/ rendered for one bundle. The syntax is deliberately
// tiny: `{{name}}` is replaced by a value, and a line starting with `[<platform>]` is kept (without
// the tag) only for that platform. Line ends and a UTF-8 BOM follow the platform's `text` fact
// (Windows: CRLF and a BOM, so that every version of Notepad shows the Chinese text correctly).

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PLATFORM_FACTS, type Platform } from "../core/platform.ts";

export const TEMPLATES_DIR = fileURLToPath(new URL("../../templates/", import.meta.url));

export function renderTemplate(template: string, values: Record<string, string>, platform: Platform): string {
  const lines: string[] = [];
  for (const line of template.split(/\r?\n/)) {
    const tag = /^\[([a-z0-9-]+)\]/.exec(line);
    if (tag && tag[1] !== platform) continue;
    const body = tag ? line.slice(tag[0].length) : line;
    lines.push(body.replace(/\{\{(\w+)\}\}/g, (m, k: string) => values[k] ?? m));
  }
  return lines.join("\n");
}

/** Line ends and encoding marks for a text file a user opens on the target platform. */
export function forPlatform(text: string, platform: Platform): string {
  const t = PLATFORM_FACTS[platform].text;
  const lf = text.replace(/\r\n/g, "\n");
  return (t.bom ? "\ufeff" : "") + (t.eol === "\n" ? lf : lf.replace(/\n/g, t.eol));
}

export async function loadTemplate(name: string): Promise<string> {
  return readFile(join(TEMPLATES_DIR, name), "utf8");
}

export interface ReadmeValues {
  title: string;
  version: string;
  platform: Platform;
  /** The launcher's file name in the bundle root (launcher.exe / launcher). */
  launcher: string;
  /** The bundle folder name (<name>-<version>-<platform>). */
  bundle: string;
}

export async function renderReadme(v: ReadmeValues): Promise<string> {
  const text = renderTemplate(await loadTemplate("README.txt"), { ...v }, v.platform);
  return forPlatform(text, v.platform);
}
