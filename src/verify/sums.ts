// SHA256SUMS next to a release archive (DESIGN.md "Outputs of build"; issue 7 item 1): the
// format `sha256sum` writes and `sha256sum -c` reads — "<64 hex><space><space or *><name>".

export interface SumsLine {
  sha256: string;
  name: string;
}

export function parseSums(text: string): SumsLine[] {
  const out: SumsLine[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(raw);
    if (m) out.push({ sha256: m[1]!.toLowerCase(), name: m[2]!.replace(/^\.\//, "") });
  }
  return out;
}

export type SumsVerdict = { state: "match" } | { state: "mismatch"; expected: string } | { state: "not-listed"; listed: string[] };

/** Compares an archive's digest with the SHA256SUMS entry for its file name. */
export function checkSums(text: string, fileName: string, sha256: string): SumsVerdict {
  const lines = parseSums(text);
  const hit = lines.find((l) => l.name === fileName || l.name.endsWith(`/${fileName}`));
  if (!hit) return { state: "not-listed", listed: lines.map((l) => l.name) };
  return hit.sha256 === sha256.toLowerCase() ? { state: "match" } : { state: "mismatch", expected: hit.sha256 };
}
