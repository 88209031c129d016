// dist/SHA256SUMS: one line per archive or volume, in the format of
// GNU `sha256sum` (`<hex>  <name>`), so `sha256sum -c SHA256SUMS` checks a download. Lines for
// other archives already in the file are kept, except for files that are gone from the folder.

import { readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { BundleError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { hashFile } from "../integrity/sha256.ts";

export const SUMS_FILE = "SHA256SUMS";

/** An archive path, or the path with the sha256 already known (packBundle returns it). */
export type SumInput = string | { path: string; sha256: string };

export function parseSums(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/i.exec(line);
    if (m) out.set(m[2]!, m[1]!.toLowerCase());
  }
  return out;
}

export function formatSums(sums: Map<string, string>): string {
  const names = [...sums.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((n) => `${sums.get(n)}  ${n}\n`).join("");
}

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

export async function writeSha256Sums(distDir: string, archives: SumInput[]): Promise<void> {
  const file = join(distDir, SUMS_FILE);
  const sums = parseSums(await readFile(file, "utf8").catch(() => ""));
  for (const name of [...sums.keys()]) if (!(await exists(join(distDir, name)))) sums.delete(name);
  for (const a of archives) {
    const path = typeof a === "string" ? a : a.path;
    const name = relative(distDir, path).split(sep).join("/");
    if (name.startsWith("../") || name === "..") {
      throw new BundleError("IO", `${path} is not inside ${distDir}; SHA256SUMS can only list files beside it`);
    }
    sums.set(name, typeof a === "string" ? (await hashFile(path)).sha256 : a.sha256);
  }
  await writeFileAtomic(file, formatSums(sums));
}
