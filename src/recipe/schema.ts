// Recipe format v1: the one schema in code. It validates recipes, generates
// schema/recipe.schema.json (scripts/gen-schema.ts) and documents every key (`.describe`).
// Checks that need the whole recipe (mirror names, duplicate destinations, per-platform sections)
// live in validate.ts.

import { z } from "zod";
import { ARCHIVE_FORMATS, VERIFY_APIS } from "../contract/registry-names.ts";
import { PLATFORMS } from "../core/platform.ts";

export const SHA256_RE = /^[0-9a-f]{64}$/;
export const COMMIT_RE = /^[0-9a-f]{40}$/;
export const NAME_RE = /^[a-z0-9][a-z0-9-]*$/;
/** A tag name git accepts and that is one plain file under refs/tags/ (git check-ref-format, a safe subset). */
export const TAG_RE = /^(?!.*\.\.)(?!.*\.lock(?:\/|$))(?!.*\/\.)[A-Za-z0-9][A-Za-z0-9._+-]*(?:\/[A-Za-z0-9][A-Za-z0-9._+-]*)*$/;
export const VERSION_RE = /^[0-9A-Za-z][0-9A-Za-z._+-]*$/;
/** The literal that stands for "this hash is pinned by `bundle lock`" (trust on first use, by a maintainer). */
export const LOCK_PLACEHOLDER = "lock";

/** Why a recipe-relative path is not acceptable (the path quoted after it), or undefined when it is fine. */
export function badRelPath(p: string): string | undefined {
  const why = relPathProblem(p);
  return why === undefined ? undefined : `${why} (got ${JSON.stringify(p)})`;
}

function relPathProblem(p: string): string | undefined {
  if (p.length === 0) return "path is empty";
  // A NUL cannot be in a file name anywhere (every file-system call would throw on it).
  if (/[\u0000-\u001f\u007f]/.test(p)) return "path contains a control character";
  if (p.includes("\\")) return "path contains a backslash; use / as separator";
  if (/^[A-Za-z]:/.test(p)) return `path starts with a drive letter (${p.slice(0, 2)}); paths must be relative to the bundle`;
  if (p.startsWith("/")) return "path is absolute; paths must be relative to the bundle";
  const segs = p.split("/");
  if (segs.includes("..")) return "path contains '..' and could leave the bundle";
  if (segs.some((s, i) => s === "" && i !== segs.length - 1)) return "path contains an empty segment ('//')";
  if (segs.every((s) => s === "." || s === "")) return "path names the bundle root itself";
  // "./app/./x" and "app/x" are one place: spelled two ways, the duplicate-destination check would miss it.
  if (segs.includes(".")) return "path contains a '.' segment; write it without (app/x, not ./app/x)";
  return undefined;
}

const relPath = (what: string) =>
  z
    .string()
    .describe(`${what} (relative, '/'-separated, may not leave the bundle)`)
    .meta({ pattern: "^(?![A-Za-z]:)(?!/)(?!.*\\\\)(?!(.*/)?\\.\\.(/|$)).+$" })
    .superRefine((p, ctx) => {
      const why = badRelPath(p);
      if (why) ctx.addIssue({ code: "custom", message: why, params: { hint: "write it like webui/models/x.safetensors" } });
    });

/** A download URL: `mirror://<list>/<path>`, `https://…` or `http://…`. */
export const UrlSchema = z
  .string()
  .describe("mirror://<list>/<path> (joined to each base URL of that mirror list, in order), https:// or http://")
  .meta({ pattern: "^(mirror|https?)://" })
  .superRefine((u, ctx) => {
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(u);
    if (!m) {
      ctx.addIssue({ code: "custom", message: `"${u}" is not a URL`, params: { hint: "use mirror://<list>/<path> or https://…" } });
      return;
    }
    const scheme = m[1]!.toLowerCase();
    if (!["mirror", "https", "http"].includes(scheme)) {
      ctx.addIssue({
        code: "custom",
        message: `URL scheme "${scheme}:" is not allowed (in "${u}")`,
        params: { hint: "only mirror://, https:// and http:// are accepted; integrity comes from the sha256" },
      });
      return;
    }
    if (scheme === "mirror") return;
    let host = "";
    try {
      host = new URL(u).hostname;
    } catch {
      /* reported below */
    }
    if (!host) ctx.addIssue({ code: "custom", message: `"${u}" is not a valid URL`, params: { hint: "write https://host/path (a URL needs a host, without spaces)" } });
  });

export const Sha256Schema = z
  .string()
  .describe(`sha256 of the bytes: 64 lowercase hex digits, or "${LOCK_PLACEHOLDER}" when only \`bundle lock\` can pin it`)
  .meta({ pattern: `^([0-9a-f]{64}|${LOCK_PLACEHOLDER})$` })
  .superRefine((s, ctx) => {
    if (s === LOCK_PLACEHOLDER || SHA256_RE.test(s)) return;
    const hint = /^[0-9A-F]{64}$/i.test(s)
      ? "write the hex digits in lowercase"
      : `a sha256 is 64 hex digits (got ${s.length} characters); write "${LOCK_PLACEHOLDER}" if a maintainer must pin it with \`bundle lock\``;
    ctx.addIssue({ code: "custom", message: `"${s}" is not a sha256`, params: { hint } });
  });

export const CommitSchema = z
  .string()
  .describe("full 40-hex git commit SHA")
  .meta({ pattern: "^[0-9a-f]{40}$" })
  .superRefine((s, ctx) => {
    if (COMMIT_RE.test(s)) return;
    const hint = /^[0-9a-f]{4,39}$/i.test(s)
      ? "abbreviated SHAs are ambiguous; write the full 40-character commit"
      : "branch and tag names move; pin the full 40-character commit SHA";
    ctx.addIssue({ code: "custom", message: `"${s}" is not a full commit SHA`, params: { hint } });
  });

const positiveInt = z.number().int().positive();

/** A file fetched by URL and checked by hash. */
export const ArtifactSchema = z
  .strictObject({
    url: UrlSchema,
    sha256: Sha256Schema,
    size: positiveInt.optional().describe("size in bytes (checked before the digest)"),
  })
  .describe("a downloadable file: URL through mirror lists + sha256");

const perPlatform = <T extends z.ZodType>(item: T) =>
  z.strictObject(Object.fromEntries(PLATFORMS.map((p) => [p, item.optional()])) as Record<(typeof PLATFORMS)[number], z.ZodOptional<T>>);

export const PythonSchema = perPlatform(ArtifactSchema)
  .extend({
    version: z
      .string()
      .regex(/^3\.\d+\.\d+$/, { error: "python.version must look like 3.10.6" })
      .describe("the embedded interpreter's version, e.g. 3.10.6"),
    glibc: z
      .string()
      .regex(/^2\.\d+$/, { error: "python.glibc must look like 2.28" })
      .optional()
      .describe("Linux platforms: newest manylinux glibc the target may need (default 2.28)"),
    paths: z
      .array(relPath("folder added to the interpreter's search path (win-x64 ._pth)"))
      .optional()
      .describe("more app folders put on sys.path (written into python3XX._pth on win-x64; the launcher's script folder, or its cwd for -m, is always put first)"),
  })
  .describe("the embedded Python runtime, per platform");

export const GitSchema = perPlatform(ArtifactSchema).describe("portable Git per platform (MinGit zip on win-x64)");

const PackageOverrideSchema = z.strictObject({
  indexes: z.array(z.string()).optional().describe("mirror lists serving the simple API for this package, in order"),
  find_links: z
    .array(z.string())
    .optional()
    .describe("mirror lists that are flat file listings (no hashes): bytes from here, hashes from the indexes or the lock"),
  sdist: UrlSchema.optional().describe("build this package from this source archive instead of a wheel"),
  sha256: Sha256Schema.optional().describe("sha256 of the sdist archive"),
  build_requires: z.array(z.string()).optional().describe("exact pins used to build the sdist (e.g. setuptools==69.5.1)"),
  provides: z
    .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: "provides: list project names (e.g. opencv-python)" }))
    .optional()
    .describe("projects this package stands in for: another package's Requires-Dist on one of them is met by this one (opencv-python-headless provides opencv-python)"),
});

export const WheelsSchema = z
  .strictObject({
    indexes: z.array(z.string()).min(1).describe("mirror lists serving the simple API (PEP 503 HTML / PEP 691 JSON), in order"),
    requirements: z.string().optional().describe("requirements file (relative to the recipe): the full closure, every line name==version"),
    packages: z.record(z.string(), PackageOverrideSchema).optional().describe("per-package overrides"),
    build_requires: z.array(z.string()).optional().describe("exact pins used to build sdists, unless a package overrides them"),
    lock: z.string().optional().describe("lock file (relative to the recipe), written by `bundle lock`"),
  })
  .describe("pinned wheels installed into the embedded Python");

export const RepoSchema = z.strictObject({
  path: relPath("where the checkout goes in the bundle"),
  url: UrlSchema,
  commit: CommitSchema,
  origin: z.string().optional().describe("remote URL written as `origin` (default: the first candidate URL)"),
  tag: z
    .string()
    .regex(TAG_RE, { error: "a tag is a git tag name such as v1.10.1 (letters, digits, . _ + - and /; no '..', no trailing .lock)" })
    .optional()
    .describe("a tag created at the pinned commit in the checkout (lightweight), so that `git describe --tags` names the release"),
});

export const ExtensionSchema = z.strictObject({
  url: UrlSchema,
  commit: CommitSchema,
  // "." or ".." would put the extension over extensions.dir itself or its parent (the app).
  name: z.string().regex(/^(?!\.\.?$)[^/\\\u0000-\u001f]+$/, { error: "an extension name is one folder name (not . or ..)" }).optional().describe("folder name (default: the repository name)"),
  requirements: z.array(z.string()).optional().describe("Python requirements this extension needs (added to the wheel set)"),
});

export const ExtensionsSchema = z.strictObject({
  dir: relPath("folder the extensions go into"),
  items: z.array(ExtensionSchema).describe("the extensions, each at a pinned commit"),
});

export const FileSchema = z.strictObject({
  path: relPath("where the file goes in the bundle"),
  url: UrlSchema.optional().describe("where to download it (with sha256)"),
  sha256: Sha256Schema.optional(),
  size: positiveInt.optional().describe("size in bytes"),
  text: z.string().optional().describe("inline content instead of a URL (small configs, Hugging Face refs/main)"),
});

const VERSION_DOTTED = /^\d+(\.\d+){1,3}$/;

export const GpuRequiresSchema = z
  .strictObject({
    cuda: z.string().regex(/^\d+\.\d+$/, { error: "gpu.requires.cuda must look like 12.1" }).optional().describe("the CUDA version the app's torch build was made for (default: read from the torch pin's local version, +cu121 → 12.1)"),
    min_driver: z
      .strictObject({
        win: z.string().regex(VERSION_DOTTED, { error: "a driver version such as 528.33" }).optional(),
        linux: z.string().regex(VERSION_DOTTED, { error: "a driver version such as 525.60.13" }).optional(),
      })
      .optional()
      .describe("the oldest NVIDIA driver that runs it, per OS (default: greenbundle's table for the CUDA version)"),
    archs: z
      .array(z.string().regex(/^(sm|compute)_\d+$/, { error: "an architecture such as sm_86 (SASS) or compute_90 (PTX)" }))
      .optional()
      .describe("the GPU architectures it has kernels for: sm_XY (SASS), compute_XY (PTX) (default: greenbundle's table for the torch build)"),
  })
  .describe("what the bundled torch needs of the NVIDIA driver and GPU; recorded in bundle.json's gpu and checked by `launcher --check`");

const VramRuleSchema = z.strictObject({
  below_gb: z.number().positive().optional().describe("rule applies when the GPU has less than this many GiB"),
  args: z.array(z.string()).describe("arguments added to the command line"),
});

export const LauncherSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: "launcher.name must be a plain file name" }).default("launcher").describe("file name of the launcher (launcher.exe on win-x64)"),
    node: perPlatform(ArtifactSchema).describe("Node base binary for the pkg --sea build, per platform"),
    cwd: z.string().optional().describe("working folder of the app, relative to the bundle"),
    command: z.array(z.string()).min(1).describe("the app's command line; placeholders {bundle} {python} {git} {port}"),
    port: z.number().int().min(1).max(65535).default(7860).describe("first port tried; the first free one from here is used"),
    ready: z.string().startsWith("/").optional().describe("URL path polled until HTTP 200 (required unless verify.api is command: a script app is no server)"),
    env: z.record(z.string(), z.string()).optional().describe("environment for the app; placeholders allowed"),
    gpu: z
      .strictObject({
        cpu: z.array(z.string()).optional().describe("arguments added when no NVIDIA GPU is found"),
        vram: z.array(VramRuleSchema).optional().describe("first rule that matches the detected VRAM adds its arguments"),
        requires: GpuRequiresSchema.optional(),
      })
      .optional(),
    icon: z.string().optional().describe("Windows icon (.ico), relative to the recipe"),
  })
  .describe("the launcher executable at the bundle root");

export const VerifySchema = z.strictObject({
  api: z.enum(VERIFY_APIS).describe("how verify drives the app: a1111 (also Forge, SD.Next) or comfyui over HTTP, or command (a script run through `launcher --exec`)"),
  txt2img: z
    .strictObject({
      prompt: z.string().describe("the test prompt"),
      negative_prompt: z.string().optional(),
      steps: positiveInt.default(20).describe("sampling steps"),
      width: positiveInt.default(512).describe("image width; the returned PNG must have it"),
      height: positiveInt.default(512).describe("image height; the returned PNG must have it"),
      seed: z.number().int().default(42).describe("fixed seed"),
      cfg_scale: z.number().optional(),
      sampler_name: z.string().optional(),
    })
    .describe("the test generation"),
  timeout: positiveInt.default(900).describe("seconds to wait for readiness and the generation"),
  allow_changes: z.array(z.string()).default([]).describe("globs of files a first launch may create or change"),
  checkpoint: z
    .string()
    .min(1)
    .optional()
    .describe("comfyui: the ckpt_name, relative to the app's models/checkpoints/ (default: the first *.safetensors or *.ckpt the recipe places under a models/checkpoints/ folder)"),
  workflow: z
    .string()
    .min(1)
    .optional()
    .describe("comfyui: an API-format graph (JSON file, relative to the recipe) sent instead of the standard text-to-image graph; string values may hold {prompt} {negative_prompt} {seed} {steps} {width} {height} {cfg_scale} {sampler_name} {checkpoint}"),
  command: z
    .array(z.string())
    .min(1)
    .optional()
    .describe("command: what verify runs as `launcher --exec -- <command…>` with the network cut off; placeholders {bundle} {python} {git} {port} {prompt} {seed} {steps} {width} {height} {out}"),
  image: z.string().min(1).optional().describe("command: glob of the PNG to check, relative to the bundle root ({out} is the fresh folder verify made); the newest match counts"),
});

export const PackageSchema = z.strictObject({
  formats: z.array(z.enum([...ARCHIVE_FORMATS, "dir"])).min(1).default(["zip"]).describe("archives to produce (dir = the folder only)"),
  split: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(B|KiB|MiB|GiB|KB|MB|GB)$/, { error: "package.split must be a size such as 2GiB" })
    .optional()
    .describe("split the archive into volumes of this size"),
  bytecode: z
    .boolean()
    .default(true)
    .describe("ship compiled bytecode: every .py of the runtime, site-packages and the repositories as unchecked-hash .pyc (PEP 552), so a first launch compiles nothing"),
  level: z.number().int().min(1).max(9).optional().describe("7z: the LZMA2 compression level, 1–9 (default 7)"),
});

export const RecipeSchema = z
  .strictObject({
    $schema: z.string().optional(),
    recipe: z.literal(1, { error: "recipe: must be 1 (the only format version)" }).describe("recipe format version"),
    extends: z.string().optional().describe("another recipe (relative path) this one deep-merges over"),
    name: z.string().regex(NAME_RE, { error: "name must match [a-z0-9][a-z0-9-]* (it is used in file names)" }).describe("bundle name, used in file names: [a-z0-9][a-z0-9-]*"),
    version: z.string().regex(VERSION_RE, { error: "version must be file-name safe, e.g. 1.10.1-r1" }).describe("this bundle's release version"),
    title: z.string().optional().describe("shown by the launcher"),
    platforms: z.array(z.enum(PLATFORMS)).min(1).describe("target platforms; the first is the default"),
    mirrors: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { error: "mirror list names are lowercase words" }), z.array(UrlSchema).min(1))
      .default({})
      .describe("named, ordered lists of base URLs; tried in order"),
    python: PythonSchema,
    git: GitSchema.optional(),
    wheels: WheelsSchema.optional(),
    repos: z.array(RepoSchema).default([]).describe("git repositories placed as real checkouts at pinned commits"),
    extensions: ExtensionsSchema.optional().describe("app extensions: repositories placed under one folder; their Python needs join the wheel set"),
    files: z.array(FileSchema).default([]).describe("checkpoints, VAEs, tokenizer files, configs: anything fetched by URL (or given inline)"),
    launcher: LauncherSchema,
    verify: VerifySchema.optional().describe("how `bundle verify` drives the app after booting it offline"),
    package: PackageSchema.default({ formats: ["zip"], bytecode: true }).describe("release archive formats"),
  })
  .describe("greenbundle recipe, format v1");

export type Recipe = z.output<typeof RecipeSchema>;
export type Artifact = z.output<typeof ArtifactSchema>;
export type RepoSpec = z.output<typeof RepoSchema>;
export type FileSpec = z.output<typeof FileSchema>;
export type ExtensionSpec = z.output<typeof ExtensionSchema>;
export type LauncherSpec = z.output<typeof LauncherSchema>;
export type VerifySpec = z.output<typeof VerifySchema>;
export type PackageOverride = z.output<typeof PackageOverrideSchema>;
export type GpuRequires = z.output<typeof GpuRequiresSchema>;

/** The JSON Schema published for editors (schema/recipe.schema.json). */
export function recipeJsonSchema(): Record<string, unknown> {
  const js = z.toJSONSchema(RecipeSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    $id: "https://greenbundle.dev/schema/recipe-v1.json",
    title: "greenbundle recipe (format v1)",
    ...js,
  };
}
