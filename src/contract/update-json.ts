// update.json, the table of contents of an update file (`bundle delta` writes it, `launcher
// --update` and `bundle verify --update` read it). An update file is a zip holding update.json,
// the new bundle.json and, under files/, every file that is new or changed between two releases
// of one bundle (by sha256 in the two manifests). Node built-ins only: the launcher bundles it.

/** The file's name inside the update zip. */
export const UPDATE_JSON = "update.json";
/** The new release's bundle.json inside the update zip. */
export const UPDATE_BUNDLE_JSON = "bundle.json";
/** Where the new and changed files lie inside the update zip. */
export const UPDATE_FILES_DIR = "files/";
export const UPDATE_FORMAT = 1;
/** The folder inside a bundle where the launcher stages, switches and keeps updates. */
export const UPDATE_DIR = ".update";
/** Its journal: present only while a switch is under way (or was interrupted). */
export const UPDATE_JOURNAL = "journal.json";
/** `<name>-<from>-to-<to>-<platform>.update.zip` */
export const UPDATE_SUFFIX = ".update.zip";

export interface UpdateFile {
  path: string;
  /** sha256 in the old manifest; null when the file is new. */
  old: string | null;
  /** sha256 in the new manifest; null when the file is removed. */
  new: string | null;
  /** Size in the new manifest (0 when removed). */
  size: number;
  exec?: boolean;
  /** A symbolic link in the new release: its text (no file under files/ then). */
  link?: string;
}

export interface UpdateJson {
  format: typeof UPDATE_FORMAT;
  name: string;
  platform: string;
  from: string;
  to: string;
  /** sha256 of the old and new bundle.json (the manifests). */
  from_manifest: string;
  to_manifest: string;
  /** Every file that differs, sorted by path: added (old null), changed, removed (new null). */
  files: UpdateFile[];
}

export function updateFileName(name: string, from: string, to: string, platform: string): string {
  return `${name}-${from}-to-${to}-${platform}${UPDATE_SUFFIX}`;
}

const SHA = /^[0-9a-f]{64}$/;

/** `text` as update.json, or an Error saying what is wrong. */
export function parseUpdateJson(text: string): UpdateJson {
  const v = JSON.parse(text) as Partial<UpdateJson> | null;
  const bad = (what: string): never => {
    throw new Error(`update.json: ${what}`);
  };
  if (!v || typeof v !== "object") return bad("is not an object");
  if (v.format !== UPDATE_FORMAT) bad(`format is ${JSON.stringify(v.format)}, this program reads ${UPDATE_FORMAT}`);
  for (const k of ["name", "platform", "from", "to"] as const) if (typeof v[k] !== "string" || v[k] === "") bad(`${k} must be a non-empty string`);
  for (const k of ["from_manifest", "to_manifest"] as const) if (typeof v[k] !== "string" || !SHA.test(v[k])) bad(`${k} must be a sha256`);
  if (!Array.isArray(v.files)) return bad("files must be a list");
  for (const f of v.files) {
    if (!f || typeof f.path !== "string" || f.path === "" || f.path.startsWith("/") || /^[A-Za-z]:/.test(f.path) || f.path.split("/").includes("..") || f.path.includes("\\") || f.path.includes("\0")) bad(`a file path is unsafe: ${JSON.stringify(f?.path)}`);
    if (f.path === "bundle.json" || f.path.startsWith(".update/")) bad(`${f.path} cannot be part of an update`);
    if (f.old !== null && !SHA.test(f.old)) bad(`${f.path}: old must be a sha256 or null`);
    if (f.new !== null && !SHA.test(f.new)) bad(`${f.path}: new must be a sha256 or null`);
    if (f.old === null && f.new === null) bad(`${f.path}: neither old nor new`);
    if (f.link !== undefined && (typeof f.link !== "string" || f.link.startsWith("/") || f.link.includes("\\"))) bad(`${f.path}: link must be a relative '/' path`);
  }
  return v as UpdateJson;
}
