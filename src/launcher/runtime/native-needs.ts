// Native libraries that bundled Python packages load but do not carry, as data: the builder fails a
// Windows build whose Python folder lacks what they need (src/assemble/native-check.ts), and the
// launcher's doctor looks for them on the machine (`vc-runtime` on Windows, `libs` on Linux).
// Pure data and functions, no imports: both programs use it.

export interface NativeNeed {
  /** Bundled packages (normalised project names) that need these files. */
  packages: string[];
  os: "windows" | "linux";
  /**
   * Windows: DLLs that must sit next to python.exe (or, failing that, in System32); Linux: shared
   * library sonames the host's dynamic linker must find.
   */
  files: string[];
  /** Distribution packages that provide them on Linux (Debian/Ubuntu, Fedora), for the hint. */
  install?: { debian: string; fedora: string };
}

export const NATIVE_NEEDS: NativeNeed[] = [
  {
    // torch's Windows __init__ loads vcruntime140.dll, msvcp140.dll and vcruntime140_1.dll before
    // its own DLLs (c10.dll imports them); Windows' embeddable Python ships only the vcruntime
    // ones, and a clean Windows has no msvcp140.dll ("WinError 126" while loading c10.dll).
    packages: ["torch"],
    os: "windows",
    files: ["msvcp140.dll", "vcruntime140.dll", "vcruntime140_1.dll"],
  },
  {
    // opencv-python (not -headless) links Qt and X11: importing cv2 fails with
    // "libGL.so.1: cannot open shared object file" on hosts without them.
    packages: ["opencv-python", "opencv-contrib-python"],
    os: "linux",
    files: ["libGL.so.1", "libglib-2.0.so.0", "libgthread-2.0.so.0"],
    install: { debian: "libgl1 libglib2.0-0", fedora: "libglvnd-glx glib2" },
  },
];

/** The needs that apply to a bundle holding `packages` on `os`. */
export function needsOf(packages: Iterable<string>, os: "windows" | "linux"): NativeNeed[] {
  const have = new Set([...packages].map((p) => p.toLowerCase().replace(/[-_.]+/g, "-")));
  return NATIVE_NEEDS.filter((n) => n.os === os && n.packages.some((p) => have.has(p)));
}
