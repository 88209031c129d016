// The names of the two registries' entries: the release archive formats (src/pack/registry.ts)
// and the verify APIs (src/verify/apis.ts). They live here, below every other folder, so that the
// recipe schema and the command line can offer them without loading (or importing upward into)
// the registries; each registry is typed to hold exactly one entry per name.

/** Release archive formats, in the order `--format` lists them. */
export const ARCHIVE_FORMATS = ["zip", "tar.gz", "7z"] as const;
export type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];

/**
 * How `bundle verify` drives an app (recipe `verify.api`): the HTTP APIs of a server it boots
 * (a1111, comfyui), or a command run through `launcher --exec` (command, for script apps).
 */
export const VERIFY_APIS = ["a1111", "comfyui", "command"] as const;
export type VerifyApiName = (typeof VERIFY_APIS)[number];

export function isArchiveFormat(s: string): s is ArchiveFormat {
  return (ARCHIVE_FORMATS as readonly string[]).includes(s);
}
