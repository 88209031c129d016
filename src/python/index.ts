// The python stage's public entry points (assembly, `bundle lock`, tests). Re-exports only.
export { buildPythonTree, type PythonTreeOptions } from "./tree.ts";
export { lockRecipe, type LockOptions, type LockReport } from "./lock.ts";
export { installWheels, type InstalledDist, type InstallOptions, type WheelToInstall } from "./install.ts";
export { firstSysPath, unpackRuntime, pthContent } from "./runtime.ts";
export { buildSdist } from "./sdist.ts";
export { makeTarget, type Target } from "./target.ts";
export { targetTags, platformTags, matchWheel, parseWheelFilename } from "./tags.ts";
