// greenbundle's own version, read from its package.json (the same file in a checkout and in the
// installed package: src/cli/ and lib/cli/ are both two folders below it).

import { readFileSync } from "node:fs";

export function greenbundleVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
