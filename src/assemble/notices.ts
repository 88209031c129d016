// THIRD-PARTY-NOTICES: the licence texts of everything a bundle redistributes,
// gathered from the components themselves — the Python runtime's LICENSE.txt, the portable Git's
// licence files, every installed wheel's .dist-info (LICENSE*, COPYING*, NOTICE*, PEP 639
// licenses/ and the License metadata) and every repository's top-level licence files — so that
// the notices always match what is shipped.

import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { byCodeUnit } from "./manifest.ts";

export interface NoticeSection {
  /** Sort key and heading, e.g. "wheel numpy 1.26.2". */
  heading: string;
  license?: string;
  url?: string;
  files: { label: string; text: string }[];
}

const LICENSE_NAME = /^(licen[cs]e|copying|notice)([._-].*)?$/i;
const MAX_TEXT = 512 * 1024;

/** A short licence name recognised from a licence text, or undefined. */
export function detectLicense(text: string): string | undefined {
  const t = text.slice(0, 4000);
  const gnu = (kind: string, id: string) => {
    const m = new RegExp(`GNU ${kind}\\s+Version (\\d)`, "i").exec(t);
    return m ? `${id}-${m[1]}.0` : undefined;
  };
  if (/GNU AFFERO GENERAL PUBLIC LICENSE/i.test(t)) return gnu("AFFERO GENERAL PUBLIC LICENSE", "AGPL") ?? "AGPL";
  if (/GNU LESSER GENERAL PUBLIC LICENSE/i.test(t)) return gnu("LESSER GENERAL PUBLIC LICENSE", "LGPL") ?? "LGPL";
  if (/GNU GENERAL PUBLIC LICENSE/i.test(t)) return gnu("GENERAL PUBLIC LICENSE", "GPL") ?? "GPL";
  if (/Apache License,?\s+Version 2\.0/i.test(t)) return "Apache-2.0";
  if (/Mozilla Public License,? Version 2\.0/i.test(t)) return "MPL-2.0";
  if (/PYTHON SOFTWARE FOUNDATION LICENSE/i.test(t)) return "PSF-2.0";
  if (/Permission is hereby granted, free of charge/i.test(t)) return "MIT";
  if (/Redistribution and use in source and binary forms/i.test(t)) return /Neither the name/i.test(t) ? "BSD-3-Clause" : "BSD-2-Clause";
  if (/free and unencumbered software released into the public domain/i.test(t)) return "Unlicense";
  return undefined;
}

async function readText(path: string): Promise<string | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  const buf = await readFile(path);
  if (buf.subarray(0, 8000).includes(0)) return undefined;
  const text = buf.subarray(0, MAX_TEXT).toString("utf8");
  return buf.length > MAX_TEXT ? `${text}\n[… truncated: ${buf.length} bytes in ${path.split(/[\\/]/).pop()}]` : text;
}

/** Licence files in one folder (not recursive), sorted by name. */
async function licenceFilesIn(dir: string, labelPrefix: string): Promise<{ label: string; text: string }[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => LICENSE_NAME.test(n)).sort(byCodeUnit);
  const out: { label: string; text: string }[] = [];
  for (const n of names) {
    const text = await readText(join(dir, n));
    if (text !== undefined) out.push({ label: `${labelPrefix}${n}`, text });
  }
  return out;
}

/** Licence files anywhere under `dir` (bounded depth), for trees like MinGit with several. */
async function licenceFilesUnder(dir: string, rel = "", depth = 5): Promise<{ label: string; text: string }[]> {
  const out: { label: string; text: string }[] = [];
  const entries = (await readdir(join(dir, rel), { withFileTypes: true }).catch(() => [])).sort((a, b) => byCodeUnit(a.name, b.name));
  for (const e of entries) {
    const childRel = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory() && depth > 0) out.push(...(await licenceFilesUnder(dir, childRel, depth - 1)));
    else if (e.isFile() && LICENSE_NAME.test(e.name)) {
      const text = await readText(join(dir, childRel));
      if (text !== undefined) out.push({ label: childRel, text });
    }
  }
  return out;
}

/** The runtime's licence: LICENSE.txt at its root (embeddable zip) or in lib/pythonX.Y (python-build-standalone). */
export async function pythonNotice(root: string, pythonVersion: string, heading: string, url?: string): Promise<NoticeSection> {
  const short = pythonVersion.split(".").slice(0, 2).join(".");
  const files = [...(await licenceFilesIn(join(root, "python"), "python/")), ...(await licenceFilesIn(join(root, "python", "lib", `python${short}`), `python/lib/python${short}/`))];
  return section(heading, files, undefined, url);
}

export async function treeNotice(root: string, dest: string, heading: string, url?: string): Promise<NoticeSection> {
  return section(heading, await licenceFilesUnder(join(root, ...dest.split("/"))), undefined, url);
}

export async function repoNotice(root: string, dest: string, heading: string, url?: string): Promise<NoticeSection> {
  return section(heading, await licenceFilesIn(join(root, ...dest.split("/")), `${dest}/`), undefined, url);
}

function section(heading: string, files: { label: string; text: string }[], license: string | undefined, url: string | undefined): NoticeSection {
  const found = license ?? files.map((f) => detectLicense(f.text)).find(Boolean);
  return { heading, files, ...(found ? { license: found } : {}), ...(url ? { url } : {}) };
}

/** The licence named by a wheel's METADATA: License-Expression, else a short License field, else classifiers. */
export function metadataLicense(metadata: string): string | undefined {
  const head = metadata.split(/\r?\n\r?\n/)[0] ?? "";
  const field = (name: string) => [...head.matchAll(new RegExp(`^${name}:[ \\t]*(.*)$`, "gim"))].map((m) => m[1]!.trim()).filter(Boolean);
  const expr = field("License-Expression")[0];
  if (expr) return expr;
  const lic = field("License")[0];
  if (lic && lic.length <= 80 && !/^UNKNOWN$/i.test(lic)) return lic;
  const classifiers = field("Classifier").filter((c) => c.startsWith("License ::")).map((c) => c.split("::").pop()!.trim());
  if (classifiers.length) return classifiers.join(" OR ");
  return lic ? (detectLicense(lic) ?? lic.slice(0, 80)) : undefined;
}

/** One section per installed distribution in site-packages, keyed by normalised name. */
export async function wheelNotices(sitePackages: string, sitePackagesRel: string): Promise<Map<string, NoticeSection>> {
  const out = new Map<string, NoticeSection>();
  const dirs = (await readdir(sitePackages).catch(() => [] as string[])).filter((d) => d.endsWith(".dist-info")).sort(byCodeUnit);
  for (const d of dirs) {
    const abs = join(sitePackages, d);
    const metadata = (await readText(join(abs, "METADATA"))) ?? "";
    const name = /^Name:\s*(.+)$/m.exec(metadata)?.[1]?.trim() ?? d.replace(/-[^-]*\.dist-info$/, "");
    const version = /^Version:\s*(.+)$/m.exec(metadata)?.[1]?.trim() ?? "";
    const files = [
      ...(await licenceFilesIn(abs, `${sitePackagesRel}/${d}/`)),
      ...(await licenceFilesUnder(abs, "licenses", 4)).map((f) => ({ ...f, label: `${sitePackagesRel}/${d}/${f.label}` })),
    ];
    const key = name.toLowerCase().replace(/[-_.]+/g, "-");
    out.set(key, section(`wheel ${name} ${version}`.trim(), files, metadataLicense(metadata), undefined));
  }
  return out;
}

/** The notices file: the rendered header, a summary table, then every section's texts. */
export function renderNotices(header: string, sections: NoticeSection[]): string {
  const sorted = [...sections];
  const rule = "=".repeat(72);
  const lines = [header.trimEnd(), "", "Contents / 目录", ""];
  for (const s of sorted) lines.push(`  ${s.heading} — ${s.license ?? "licence: see its files below / 见下文"}`);
  for (const s of sorted) {
    lines.push("", rule, s.heading, ...(s.license ? [`License: ${s.license}`] : []), ...(s.url ? [`Source: ${s.url}`] : []), rule);
    if (s.files.length === 0) lines.push("", "(no licence file was found in this component; see its source for its terms)");
    for (const f of s.files) lines.push("", `----- ${f.label} -----`, "", f.text.replace(/\r\n/g, "\n").trimEnd());
  }
  return lines.join("\n") + "\n";
}
