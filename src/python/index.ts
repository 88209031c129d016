// The python stage's public entry points (assembly, the lock, tests). Re-exports only.
export { installWheels, type InstalledDist, type InstallOptions, type WheelToInstall } from "./install.ts";
export { firstSysPath, unpackRuntime, pthContent } from "./runtime.ts";
export { buildSdist } from "./sdist.ts";
export { makeTarget, type Target } from "./target.ts";
export { targetTags, platformTags, matchWheel, parseWheelFilename } from "./tags.ts";
