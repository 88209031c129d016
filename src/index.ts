// Library entry (`import … from "greenbundle"`): re-exports only (no logic here). The pipeline a
// CI script or another tool calls — load, plan, lock, fetch, build, verify — with the event and
// error types they report through.
export * from "./core/errors.ts";
export * from "./core/events.ts";
export * from "./core/platform.ts";
export { loadRecipe, type LoadedRecipe } from "./recipe/load.ts";
export { RecipeSchema, recipeJsonSchema, type Recipe } from "./recipe/schema.ts";
export { makePlan, choosePlatform, type Plan, type PlanArtifact } from "./plan/plan.ts";
export { lockRecipe, type LockOptions, type LockReport } from "./lock/lock.ts";
export type { LockFile, LockPlatform, LockedWheel, LockedArtifact } from "./python/lockfile.ts";
export { fetchAll, fetchOne, type Fetched, type FetchOptions, type FetchRequest } from "./fetch/index.ts";
export { planRequests, type PlanRequests } from "./plan/requests.ts";
export { buildBundle, type BuildOptions, type BuildResult, type BuildFormat, type BuiltArchive } from "./assemble/build.ts";
export type { LockStep } from "./assemble/auto-lock.ts";
export { BUNDLE_JSON, BUNDLE_FORMAT, BundleJsonError, checkBundleJson, parseBundleJson, serializeBundleJson, type BundleJson, type Component, type ManifestEntry, type LauncherConfig, type VerifyBlock } from "./contract/bundle-json.ts";
export { verifyBundle, type VerifyOutcome } from "./verify/verify.ts";
export type { VerifyOptions, GpuMode } from "./verify/run.ts";
export type { VerifyReport, Check, CheckId, CheckStatus } from "./verify/report-types.ts";
export { main } from "./cli/main.ts";
