// The platforms greenbundle builds for, as data (STYLE.md habit 1: never read process.platform
// outside the CLI and the launcher).

export const PLATFORMS = ["win-x64", "linux-x64"] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface PlatformFacts {
  /** Executable suffix of the launcher and console scripts. */
  exe: string;
  /** Whether file names collide when they differ only in case (NTFS default). */
  caseInsensitive: boolean;
  /** Whether the bundle must carry its own git (Windows has none by default). */
  needsPortableGit: boolean;
  /** Node's name for the OS and arch, as used by Node distribution archives. */
  nodeOs: "win" | "linux";
  nodeArch: "x64";
}

export const PLATFORM_FACTS: Record<Platform, PlatformFacts> = {
  "win-x64": { exe: ".exe", caseInsensitive: true, needsPortableGit: true, nodeOs: "win", nodeArch: "x64" },
  "linux-x64": { exe: "", caseInsensitive: false, needsPortableGit: false, nodeOs: "linux", nodeArch: "x64" },
};

export function isPlatform(s: string): s is Platform {
  return (PLATFORMS as readonly string[]).includes(s);
}

/** The platform of the machine running greenbundle, if it is one we build for. Only the CLI calls this. */
export function hostPlatform(): Platform | undefined {
  if (process.arch !== "x64") return undefined;
  if (process.platform === "win32") return "win-x64";
  if (process.platform === "linux") return "linux-x64";
  return undefined;
}
