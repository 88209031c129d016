// What an extension would pip-install at first launch. A1111 runs each extension's
// install.py unless started with --skip-prepare-environment, and extensions commonly declare their
// needs in requirements.txt or through `launch.run_pip("install X")` / `launch.is_installed("X")`.
// A bundle must work offline, so every such package has to be in the wheel set already: this
// reads those declarations and reports what the wheel set does not satisfy.

import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { satisfies } from "@renovatebot/pep440";
import { evaluateMarker, normalizeName, parseRequirement, type MarkerEnv } from "../python/pep508.ts";
import { decodeRequirementsText } from "../python/requirements.ts";

export interface DeclaredNeed {
  /** The requirement as written (`opencv-python>=4`), or a line we could not read as one. */
  text: string;
  /** Normalised name, when the text names a package. */
  key?: string;
  specifier: string;
  /** file:line inside the extension. */
  where: string;
}

export interface UnmetNeed extends DeclaredNeed {
  extension: string;
  reason: string;
}

const OPTION_WITH_VALUE = new Set(["-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--prefer-binary"]);

/** Requirements declared in a requirements.txt body. `-r other.txt` lines are returned as includes. */
export function parseRequirementsText(text: string, file: string, env: MarkerEnv): { needs: DeclaredNeed[]; includes: string[] } {
  const needs: DeclaredNeed[] = [];
  const includes: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line) return;
    const where = `${file}:${i + 1}`;
    const inc = /^(?:-r|--requirement)[\s=]+(\S+)/.exec(line);
    if (inc) includes.push(inc[1]!);
    else if (!line.startsWith("-")) needs.push(...needFromText(line, where, env));
  });
  return { needs, includes };
}

function needFromText(text: string, where: string, env: MarkerEnv): DeclaredNeed[] {
  const egg = /#egg=([A-Za-z0-9._-]+)/.exec(text);
  if (/^[a-z+]+:\/\//i.test(text)) return [{ text, ...(egg ? { key: normalizeName(egg[1]!) } : {}), specifier: "", where }];
  try {
    const r = parseRequirement(text);
    if (r.marker && !evaluateMarker(r.marker, env)) return [];
    return [{ text, key: r.key, specifier: r.url ? "" : r.specifier, where }];
  } catch {
    return [{ text, specifier: "", where }];
  }
}

/** Packages named by `run_pip("install …")` and `is_installed("…")` calls in an install.py. */
export function parseInstallPy(text: string, file: string, env: MarkerEnv): { needs: DeclaredNeed[]; includes: string[] } {
  const needs: DeclaredNeed[] = [];
  const includes: string[] = [];
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;
  for (const m of text.matchAll(/run_pip\(\s*[rRfFbBuU]{0,2}(["'])install\s+(.*?)\1/g)) {
    const tokens = m[2]!.split(/\s+/).filter(Boolean);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!.replace(/^["']|["']$/g, "");
      if (OPTION_WITH_VALUE.has(t)) {
        if (t === "-r" || t === "--requirement") includes.push(tokens[i + 1] ?? "");
        i++;
      } else if (!t.startsWith("-") && !t.includes("{")) needs.push(...needFromText(t, `${file}:${lineOf(m.index)}`, env));
    }
  }
  for (const m of text.matchAll(/is_installed\(\s*(["'])([A-Za-z0-9._-]+)\1/g)) {
    needs.push({ text: m[2]!, key: normalizeName(m[2]!), specifier: "", where: `${file}:${lineOf(m.index)}` });
  }
  return { needs, includes: includes.filter((f) => f && !f.includes("{")) };
}

/** The needs the wheel set (normalised name → version) does not satisfy, one per package. */
export function unmetNeeds(extension: string, needs: DeclaredNeed[], wheels: ReadonlyMap<string, string>): UnmetNeed[] {
  const out: UnmetNeed[] = [];
  const seen = new Set<string>();
  for (const n of needs) {
    const id = n.key ?? n.text;
    if (seen.has(id)) continue;
    seen.add(id);
    const have = n.key ? wheels.get(n.key) : undefined;
    if (!n.key) out.push({ ...n, extension, reason: "not a requirement greenbundle can check (a URL or unreadable line)" });
    else if (have === undefined) out.push({ ...n, extension, reason: "not in the wheel set" });
    else if (n.specifier && !satisfies(have, n.specifier)) out.push({ ...n, extension, reason: `the wheel set has ${have}` });
  }
  return out;
}

/** Reads requirements.txt and install.py of one placed extension (and the files they include). */
export async function declaredNeeds(dir: string, env: MarkerEnv): Promise<DeclaredNeed[]> {
  const needs: DeclaredNeed[] = [];
  // decoded as pip reads requirements files (a UTF-16 or UTF-8 byte-order mark says the encoding)
  const read = (rel: string) => readFile(join(dir, ...rel.split("/"))).then(decodeRequirementsText, () => undefined);
  const queue: string[] = ["requirements.txt"];
  const done = new Set<string>();
  const py = await read("install.py");
  if (py !== undefined) {
    const r = parseInstallPy(py, "install.py", env);
    needs.push(...r.needs);
    queue.push(...r.includes);
  }
  while (queue.length && done.size < 16) {
    const rel = posix.normalize(queue.shift()!.replace(/\\/g, "/"));
    if (done.has(rel) || rel.startsWith("..") || posix.isAbsolute(rel)) continue;
    done.add(rel);
    const text = await read(rel);
    if (text === undefined) continue;
    const r = parseRequirementsText(text, rel, env);
    needs.push(...r.needs);
    queue.push(...r.includes.map((f) => posix.join(posix.dirname(rel), f)));
  }
  return needs;
}

/** One line per unmet need, for warnings and the build summary. */
export function describeUnmet(u: UnmetNeed): string {
  return `${u.extension}: ${u.text} (${u.where}): ${u.reason}`;
}
