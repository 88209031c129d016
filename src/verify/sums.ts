// The archive against the SHA256SUMS next to it.
// The file format is pack's (src/pack/sums.ts, what `sha256sum -c` reads); this only decides.

import { parseSums } from "../pack/sums.ts";

export type SumsVerdict = { state: "match" } | { state: "mismatch"; expected: string } | { state: "not-listed"; listed: string[] };

/** Compares an archive's digest with the SHA256SUMS entry for its file name. */
export function checkSums(text: string, fileName: string, sha256: string): SumsVerdict {
  const sums = parseSums(text);
  const name = [...sums.keys()].find((n) => n === fileName || n === `./${fileName}` || n.endsWith(`/${fileName}`));
  if (name === undefined) return { state: "not-listed", listed: [...sums.keys()] };
  const expected = sums.get(name)!;
  return expected === sha256.toLowerCase() ? { state: "match" } : { state: "mismatch", expected };
}
