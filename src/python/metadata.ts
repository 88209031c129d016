// The small text formats inside a wheel: core metadata (METADATA, "Core metadata specifications",
// an RFC 822-style header block), WHEEL, entry_points.txt ("Entry points specification", INI) and
// RECORD ("Recording installed projects", CSV with urlsafe-base64 sha256 digests).

export interface CoreMetadata {
  name: string;
  version: string;
  requiresDist: string[];
  requiresPython?: string;
  providesExtra: string[];
  /** A short license name: License-Expression, a one-line License field, or the license classifier. */
  license?: string;
}

/** Header fields of an RFC 822-style block (continuation lines folded), until the first blank line. */
export function parseHeaders(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let last: { key: string; idx: number } | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === "") break;
    if (/^[ \t]/.test(line) && last) {
      const vals = out.get(last.key)!;
      vals[last.idx] += "\n" + line.trim();
      continue;
    }
    const m = /^([A-Za-z0-9-]+):[ \t]?(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const vals = out.get(key) ?? [];
    vals.push(m[2]!.trim());
    out.set(key, vals);
    last = { key, idx: vals.length - 1 };
  }
  return out;
}

export function parseMetadata(text: string): CoreMetadata {
  const h = parseHeaders(text);
  const one = (k: string) => h.get(k)?.[0];
  const md: CoreMetadata = {
    name: one("name") ?? "",
    version: one("version") ?? "",
    requiresDist: h.get("requires-dist") ?? [],
    providesExtra: h.get("provides-extra") ?? [],
  };
  const rp = one("requires-python");
  if (rp) md.requiresPython = rp;
  const license = shortLicense(one("license-expression"), one("license"), h.get("classifier") ?? []);
  if (license) md.license = license;
  return md;
}

function shortLicense(expression: string | undefined, field: string | undefined, classifiers: string[]): string | undefined {
  if (expression) return expression;
  // Many projects paste the whole license text into License: only a short one-liner is a name.
  if (field && !field.includes("\n") && field.length <= 80 && !/^unknown$/i.test(field)) return field;
  const cls = classifiers.filter((c) => c.startsWith("License :: ")).map((c) => c.split(" :: ").pop()!);
  return cls.length > 0 ? cls.join(" OR ") : undefined;
}

export interface WheelInfo {
  wheelVersion: string;
  rootIsPurelib: boolean;
  tags: string[];
}

export function parseWheelFile(text: string): WheelInfo {
  const h = parseHeaders(text);
  return {
    wheelVersion: h.get("wheel-version")?.[0] ?? "",
    rootIsPurelib: (h.get("root-is-purelib")?.[0] ?? "true").toLowerCase() === "true",
    tags: h.get("tag") ?? [],
  };
}

export interface EntryPoint {
  name: string;
  module: string;
  /** Dotted attribute path inside the module ("" when the object is the module itself). */
  attr: string;
  gui: boolean;
}

/** console_scripts and gui_scripts of entry_points.txt. */
export function parseEntryPoints(text: string): EntryPoint[] {
  const out: EntryPoint[] = [];
  let section = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!.trim();
      continue;
    }
    if (section !== "console_scripts" && section !== "gui_scripts") continue;
    const m = /^([^=]+?)\s*=\s*([\w.]+)\s*(?::\s*([\w.]+))?\s*(\[.*\])?\s*$/.exec(line);
    if (!m) continue;
    out.push({ name: m[1]!, module: m[2]!, attr: m[3] ?? "", gui: section === "gui_scripts" });
  }
  return out;
}

export interface RecordRow {
  path: string;
  /** "sha256=<urlsafe base64, no padding>" or "". */
  hash: string;
  size: string;
}

/** Parses RECORD (CSV: quoted fields may hold commas and doubled quotes). */
export function parseRecord(text: string): RecordRow[] {
  const rows: RecordRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const fields: string[] = [];
    let i = 0;
    while (i <= line.length) {
      if (line[i] === '"') {
        let v = "";
        i++;
        while (i < line.length) {
          if (line[i] === '"' && line[i + 1] === '"') {
            v += '"';
            i += 2;
          } else if (line[i] === '"') {
            i++;
            break;
          } else v += line[i++];
        }
        fields.push(v);
        i++; // the comma
      } else {
        const end = line.indexOf(",", i);
        fields.push(end < 0 ? line.slice(i) : line.slice(i, end));
        i = end < 0 ? line.length + 1 : end + 1;
      }
    }
    rows.push({ path: fields[0] ?? "", hash: fields[1] ?? "", size: fields[2] ?? "" });
  }
  return rows;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatRecord(rows: RecordRow[]): string {
  return rows.map((r) => [r.path, r.hash, r.size].map(csvField).join(",")).join("\n") + "\n";
}

/** RECORD's digest form of a hex sha256: "sha256=" + urlsafe base64 without padding. */
export function recordHash(hexSha256: string): string {
  return "sha256=" + Buffer.from(hexSha256, "hex").toString("base64url");
}
