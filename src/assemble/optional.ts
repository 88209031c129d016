// The heavy stages, loaded only when a build reaches them (pkg, tar, yazl
// and the installer stay unloaded for `bundle plan`, `bundle --help`, ...).

export const loadPythonTree = async () => (await import("./python-tree.ts")).buildPythonTree;
export const loadLauncher = async () => (await import("../launcher/index.ts")).buildLauncher;
export const loadPack = () => import("../pack/index.ts");
