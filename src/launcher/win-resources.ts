// The Windows launcher in one resource pass: the SEA blob as the
// RT_RCDATA resource "NODE_SEA_BLOB" (what postject writes, and what Node looks up with
// FindResource), version info from the recipe (product name, version, description), an optional
// icon, and no Authenticode entry — node.exe's signature no longer matches once the blob is in,
// and a stale signature is worse than none (SmartScreen and antivirus programs flag it).
// postject's WebAssembly LIEF needs ~21 s for node.exe; resedit does all of this in ~1.5 s.

import { readFile } from "node:fs/promises";
import { BundleError, describeError } from "../core/errors.ts";

export interface ExeMeta {
  title: string;
  version: string;
  /** File name without extension (`launcher`). */
  name: string;
  /** Path of an .ico file. */
  icon?: string;
}

/** "1.10.1-r1" → [1, 10, 1, 1]: the first four numbers, each at most 65535. */
export function numericVersion(v: string): [number, number, number, number] {
  const n = (v.match(/\d+/g) ?? []).slice(0, 4).map((s) => Math.min(Number(s), 65535));
  while (n.length < 4) n.push(0);
  return n as [number, number, number, number];
}

type Resedit = typeof import("resedit");
type Entries = ReturnType<Resedit["NtExecutableResource"]["from"]>["entries"];

async function applyIcon(R: Resedit, entries: Entries, icon: string): Promise<void> {
  let iconFile;
  try {
    iconFile = R.Data.IconFile.from(await readFile(icon));
  } catch (cause) {
    throw new BundleError("BUILD", `cannot use ${icon} as the launcher icon: ${describeError(cause)}`, { cause, hint: "launcher.icon must be a Windows .ico file" });
  }
  const groups = R.Resource.IconGroupEntry.fromEntries(entries);
  const group = groups[0] ?? { id: 1, lang: 1033 };
  R.Resource.IconGroupEntry.replaceIconsForResource(entries, group.id, group.lang, iconFile.icons.map((i) => i.data));
}

function applyVersion(R: Resedit, entries: Entries, meta: ExeMeta): void {
  const vi = R.Resource.VersionInfo.fromEntries(entries)[0] ?? R.Resource.VersionInfo.createEmpty();
  const [a, b, c, d] = numericVersion(meta.version);
  vi.setFileVersion(a, b, c, d);
  vi.setProductVersion(a, b, c, d);
  const langs = vi.getAllLanguagesForStringValues();
  if (langs.length === 0) langs.push({ lang: 1033, codepage: 1200 });
  for (const lang of langs) {
    for (const key of ["CompanyName", "Comments"]) vi.removeStringValue(lang, key);
    vi.setStringValues(lang, {
      ProductName: meta.title,
      FileDescription: meta.title,
      ProductVersion: meta.version,
      FileVersion: meta.version,
      InternalName: meta.name,
      OriginalFilename: `${meta.name}.exe`,
      Comments: "launcher built with greenbundle; the Node.js runtime inside is under the MIT license",
    });
  }
  vi.outputToResourceEntries(entries);
}

/** RT_RCDATA, the resource type Node's SEA loader asks for. */
const RT_RCDATA = 10;
const SEA_RESOURCE = "NODE_SEA_BLOB";

function putBlob(entries: Entries, blob: Uint8Array): void {
  const i = entries.findIndex((e) => e.type === RT_RCDATA && e.id === SEA_RESOURCE);
  if (i >= 0) entries.splice(i, 1);
  const bin = blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength) as ArrayBuffer;
  // Language neutral (0), as postject writes it; FindResource finds it from any UI language.
  entries.push({ type: RT_RCDATA, id: SEA_RESOURCE, lang: 0, codepage: 0, bin });
}

/**
 * Returns node.exe with the SEA blob (when given), new version info and icon, and without its
 * certificate table. The caller flips the SEA fuse in the result.
 */
export async function editWindowsResources(exe: Uint8Array, meta: ExeMeta, blob?: Uint8Array): Promise<Buffer> {
  const R = await import("resedit");
  let nt;
  try {
    // ignoreCert: parse a signed binary, and leave the certificate table out of the output.
    nt = R.NtExecutable.from(exe, { ignoreCert: true });
  } catch (cause) {
    throw new BundleError("BUILD", `the Windows launcher is not a valid PE executable: ${describeError(cause)}`, { cause });
  }
  const res = R.NtExecutableResource.from(nt);
  if (blob) putBlob(res.entries, blob);
  applyVersion(R, res.entries, meta);
  if (meta.icon) await applyIcon(R, res.entries, meta.icon);
  res.outputResource(nt);
  return Buffer.from(nt.generate());
}
