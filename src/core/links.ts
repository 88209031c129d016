// Where a symbolic link in a bundle ends up (pure). A bundle must be self-contained: a link that
// leaves it (`/etc/passwd`, `C:\Windows`, `../../..` past the root) points at whatever the end
// user's machine has there. Judged physically, the way the operating system follows links: with
// `up -> ..` beside it, `x -> up/../etc` stays inside on paper but leaves the bundle on disk, so
// every link met on the way is followed, not just the last one.

/** At most this many links followed for one path (Linux's own limit is 40). */
const MAX_HOPS = 40;

const parts = (p: string) => p.replaceAll("\\", "/").split("/");
const isAbsolute = (t: string) => /^[\\/]/.test(t) || /^[A-Za-z]:/.test(t);

/**
 * Why the link at `path` (bundle-relative, '/'-separated) to `target` leaves the bundle, or
 * undefined when it stays inside. `links` holds every link of the bundle by path (this one too).
 */
export function linkEscape(path: string, target: string, links: ReadonlyMap<string, string>): string | undefined {
  if (isAbsolute(target)) return "an absolute path";
  const pending = [...parts(path).slice(0, -1), ...parts(target)];
  const at: string[] = [];
  let hops = 0;
  while (pending.length) {
    const c = pending.shift()!;
    if (c === "" || c === ".") continue;
    if (c === "..") {
      if (!at.length) return "it climbs above the bundle's root";
      at.pop();
      continue;
    }
    at.push(c);
    const next = links.get(at.join("/"));
    if (next === undefined) continue;
    if (++hops > MAX_HOPS) return "a loop of links";
    if (isAbsolute(next)) return `it passes through ${at.join("/")} -> ${next}`;
    at.pop();
    pending.unshift(...parts(next));
  }
  return undefined;
}

/** Every link of `links` that leaves the bundle, with the reason. */
export function escapingLinks(links: ReadonlyMap<string, string>): { path: string; target: string; why: string }[] {
  const out: { path: string; target: string; why: string }[] = [];
  for (const [path, target] of links) {
    const why = linkEscape(path, target, links);
    if (why) out.push({ path, target, why });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
