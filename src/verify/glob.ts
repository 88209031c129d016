// Glob patterns for the recipe's `verify.allow_changes` paths are
// '/'-separated and relative to the bundle root; `**` spans any number of folders (zero included),
// `*` any run of characters within one name, `?` one character within a name. Everything else,
// including `[`, `{` and `.`, is literal — allow lists are about names, not a pattern language.

/** Compiles a glob to an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  const segs = glob.split("/");
  segs.forEach((seg, i) => {
    const last = i === segs.length - 1;
    if (seg === "**") {
      // "a/**" matches everything below a; "**/b" and "a/**/b" match b at any depth, zero included.
      re += last ? ".*" : "(?:[^/]*/)*";
      return;
    }
    for (const ch of seg) {
      if (ch === "*") re += "[^/]*";
      else if (ch === "?") re += "[^/]";
      else re += ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
    }
    if (!last) re += "/";
  });
  return new RegExp(`^${re}$`, "u");
}

/** A matcher for a list of globs: true when any of them matches the whole path. */
export function globMatcher(globs: readonly string[]): (path: string) => boolean {
  const res = globs.map(globToRegExp);
  return (path) => res.some((r) => r.test(path));
}

export function matchGlob(glob: string, path: string): boolean {
  return globToRegExp(glob).test(path);
}
