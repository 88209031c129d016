// mirror://<list>/<path> expansion (join <path> to each base URL of <list>, in order;
// a plain http(s) URL is a list of one).

export type ParsedUrl = { kind: "mirror"; list: string; path: string } | { kind: "direct"; url: string };

export function parseRecipeUrl(u: string): ParsedUrl | undefined {
  // Schemes are case-insensitive (RFC 3986): Mirror:// is mirror://.
  const m = /^mirror:\/\/([^/]*)(?:\/(.*))?$/i.exec(u);
  if (m) return { kind: "mirror", list: m[1]!, path: m[2] ?? "" };
  if (/^https?:\/\//i.test(u)) return { kind: "direct", url: u };
  return undefined;
}

/** Joins a base URL and a relative path with exactly one slash. */
export function joinUrl(base: string, path: string): string {
  if (path === "") return base;
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/** Candidate URLs for a recipe URL, in mirror order. Unknown lists expand to nothing (validation reports them). */
export function expandUrl(u: string, mirrors: Record<string, string[]>): string[] {
  const p = parseRecipeUrl(u);
  if (!p) return [];
  if (p.kind === "direct") return [p.url];
  return (mirrors[p.list] ?? []).map((base) => joinUrl(base, p.path));
}

/** Base URLs of the named lists, in order, without duplicates. */
export function expandLists(names: readonly string[], mirrors: Record<string, string[]>): string[] {
  const out: string[] = [];
  for (const n of names) for (const b of mirrors[n] ?? []) if (!out.includes(b)) out.push(b);
  return out;
}

/** Whether a find-links base URL names a page file (…/torch_stable.html) rather than a folder. */
function isPageFile(base: string): boolean {
  try {
    return /\.html?$/i.test(new URL(base).pathname);
  } catch {
    return false;
  }
}

/** The URL to read a flat find-links list from: a page file as it is, a folder with a trailing slash. */
export function flatPageUrl(base: string): string {
  return isPageFile(base) ? base : `${base.replace(/\/+$/, "")}/`;
}

/** The folder a find-links base stands for, with a trailing slash: a page file's folder, or the base itself. */
export function flatFolderUrl(base: string): string {
  return isPageFile(base) ? new URL("./", base).href : `${base.replace(/\/+$/, "")}/`;
}
