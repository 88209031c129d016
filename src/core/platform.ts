// The platforms greenbundle builds for, as data. Everything that differs between two platforms is a
// fact in PLATFORM_FACTS, and code reads the fact it needs (the executable suffix, the wheel tags,
// the install scheme…) instead of comparing platform names. Adding a platform is one entry here
// and its tests. Install and selection logic never reads process.platform: only the CLI (through
// thisHost) and the launcher at run time ask the running machine.

export const PLATFORMS = ["win-x64", "linux-x64", "linux-arm64"] as const;
export type Platform = (typeof PLATFORMS)[number];

/** The target interpreter's side of a platform: what a wheel installer and a resolver need to know. */
export interface PythonFacts {
  /**
   * What the recipe's runtime archive is and how it becomes `python/`: the Windows embeddable zip
   * (unpacked as is, its `._pth` rewritten), or a python-build-standalone `install_only` tar.gz
   * (its top folder `python/` stripped).
   */
  runtime: "windows-embeddable" | "standalone";
  /** The interpreter, relative to the bundle root. */
  interpreter: string;
  /** Install scheme folders relative to the bundle root, '/'-separated; `{X.Y}` is the Python version's major.minor. */
  scheme: { purelib: string; platlib: string; scripts: string; data: string; headers: string };
  /** PEP 508 environment markers that depend on the platform (the rest come from the Python version). */
  markers: { os_name: string; sys_platform: string; platform_system: string; platform_machine: string; platform_release: string };
  /** What `sysconfig.get_platform()` says on an interpreter of this platform (how a host Python is recognised). */
  sysconfig: string;
  /**
   * Wheel platform tags: a fixed list (best first), or manylinux for an architecture, from the
   * recipe's glibc floor down to the oldest glibc that architecture has manylinux tags for.
   */
  wheelTags: { family: "fixed"; tags: string[] } | { family: "manylinux"; arch: string; oldestGlibcMinor: number };
  /** Console scripts: a `.cmd` next to a `-script.py` (Windows), or a relocatable sh/Python polyglot. */
  scripts: "cmd" | "sh";
}

export interface PlatformFacts {
  os: "windows" | "linux";
  /** `process.platform` and `process.arch` of a machine of this platform. */
  host: { platform: NodeJS.Platform; arch: string };
  /** Executable suffix of the launcher and console scripts. */
  exe: string;
  /** Whether file names collide when they differ only in case (NTFS default). */
  caseInsensitive: boolean;
  /** Whether files keep an executable bit (the manifest records and checks it). */
  execBit: boolean;
  /** Whether symbolic links survive being unpacked there (a zip unpacked on Windows loses them). */
  symlinks: boolean;
  /** Texts for people (README, notices): line ends, and whether they start with a UTF-8 BOM (old Notepad needs it for Chinese). */
  text: { eol: "\n" | "\r\n"; bom: boolean };
  /** The bundled git's executable relative to the bundle root when the platform has no git of its own; null: the git on PATH. */
  bundledGit: string | null;
  /** Extra rules every path in the bundle must pass ("windows": reserved names, forbidden characters, length, case collisions). */
  pathRules: "windows" | null;
  /** The nodejs.org distribution archive of this platform: `node-v<ver>-<os>-<arch>.<archive>`, holding `<binary>`. */
  node: { os: string; arch: string; archive: "zip" | "tar.gz"; binary: string };
  python: PythonFacts;
}

const LINUX_PYTHON = {
  runtime: "standalone",
  interpreter: "python/bin/python3",
  scheme: { purelib: "python/lib/python{X.Y}/site-packages", platlib: "python/lib/python{X.Y}/site-packages", scripts: "python/bin", data: "python", headers: "python/include/python{X.Y}" },
  scripts: "sh",
} as const;

const LINUX = {
  os: "linux",
  exe: "",
  caseInsensitive: false,
  execBit: true,
  symlinks: true,
  text: { eol: "\n", bom: false },
  bundledGit: null,
  pathRules: null,
} as const;

export const PLATFORM_FACTS: Record<Platform, PlatformFacts> = {
  "win-x64": {
    os: "windows",
    host: { platform: "win32", arch: "x64" },
    exe: ".exe",
    caseInsensitive: true,
    execBit: false,
    symlinks: false,
    text: { eol: "\r\n", bom: true },
    bundledGit: "git/cmd/git.exe", // MinGit's layout
    pathRules: "windows",
    node: { os: "win", arch: "x64", archive: "zip", binary: "node.exe" },
    python: {
      runtime: "windows-embeddable",
      interpreter: "python/python.exe",
      scheme: { purelib: "python/Lib/site-packages", platlib: "python/Lib/site-packages", scripts: "python/Scripts", data: "python", headers: "python/Include/site/python{X.Y}" },
      markers: { os_name: "nt", sys_platform: "win32", platform_system: "Windows", platform_machine: "AMD64", platform_release: "10" },
      sysconfig: "win-amd64",
      wheelTags: { family: "fixed", tags: ["win_amd64"] },
      scripts: "cmd",
    },
  },
  "linux-x64": {
    ...LINUX,
    host: { platform: "linux", arch: "x64" },
    node: { os: "linux", arch: "x64", archive: "tar.gz", binary: "bin/node" },
    python: {
      ...LINUX_PYTHON,
      markers: { os_name: "posix", sys_platform: "linux", platform_system: "Linux", platform_machine: "x86_64", platform_release: "" },
      sysconfig: "linux-x86_64",
      // x86_64 has manylinux tags from glibc 2.5 (packaging src/packaging/_manylinux.py, platform_tags)
      wheelTags: { family: "manylinux", arch: "x86_64", oldestGlibcMinor: 5 },
    },
  },
  "linux-arm64": {
    ...LINUX,
    host: { platform: "linux", arch: "arm64" },
    node: { os: "linux", arch: "arm64", archive: "tar.gz", binary: "bin/node" },
    python: {
      ...LINUX_PYTHON,
      markers: { os_name: "posix", sys_platform: "linux", platform_system: "Linux", platform_machine: "aarch64", platform_release: "" },
      sysconfig: "linux-aarch64",
      // every architecture but x86_64/i686 starts at glibc 2.17 (manylinux2014)
      wheelTags: { family: "manylinux", arch: "aarch64", oldestGlibcMinor: 17 },
    },
  },
};

export function isPlatform(s: unknown): s is Platform {
  return (PLATFORMS as readonly unknown[]).includes(s);
}

/** Whether the platform needs a portable git in the bundle (it has none of its own). */
export function needsPortableGit(p: Platform): boolean {
  return PLATFORM_FACTS[p].bundledGit !== null;
}

/** The folder at the top of a nodejs.org archive, e.g. `node-v24.21.0-linux-arm64`. */
export function nodeDistName(p: Platform, version: string): string {
  const n = PLATFORM_FACTS[p].node;
  return `node-v${version}-${n.os}-${n.arch}`;
}

/** The nodejs.org archive's file name, e.g. `node-v24.21.0-win-x64.zip`. */
export function nodeArchiveName(p: Platform, version: string): string {
  return `${nodeDistName(p, version)}.${PLATFORM_FACTS[p].node.archive}`;
}

/** The platform whose interpreter reports this `sysconfig.get_platform()`, if one does. */
export function platformOfSysconfig(s: string): Platform | undefined {
  return PLATFORMS.find((p) => PLATFORM_FACTS[p].python.sysconfig === s);
}

/** The platform of a machine with this `process.platform` and `process.arch`, if we build for it. */
export function platformOf(os: string, arch: string): Platform | undefined {
  return PLATFORMS.find((p) => PLATFORM_FACTS[p].host.platform === os && PLATFORM_FACTS[p].host.arch === arch);
}

/** The platform of the machine running greenbundle, if it is one we build for. Only the CLI and the launcher build call this. */
export function hostPlatform(): Platform | undefined {
  return platformOf(process.platform, process.arch);
}

/** The machine running greenbundle, as data for the plan: its platform (if one we build for) and the Node running us. */
export interface Host {
  platform: Platform | undefined;
  /** `process.version`, e.g. "v24.22.3". */
  node: string;
  /** How to name the machine in messages: the platform, else `<os>-<arch>` as Node says them. */
  label: string;
}

/** This machine, for the CLI to hand to the core. */
export function thisHost(): Host {
  const platform = hostPlatform();
  return { platform, node: process.version, label: platform ?? `${process.platform}-${process.arch}` };
}

/** Why a bundle for `bundle` cannot be booted on `host`, or undefined when it can. */
export function cannotBoot(bundle: string, host: { platform: Platform | undefined; label: string }): string | undefined {
  if (bundle === host.platform) return undefined;
  return `cannot boot a ${bundle} bundle on this ${host.label} host`;
}
