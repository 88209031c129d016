// The command line as data: commands, their arguments and flags, and the help text made from it.

import { ARCHIVE_FORMATS } from "../contract/registry-names.ts";
import { PLATFORMS } from "../core/platform.ts";
import { DEMO_APP_NAMES } from "../demo/apps.ts";

export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  value?: string; // placeholder shown in help, e.g. "DIR"
  help: string;
  choices?: readonly string[];
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  /** Positional arguments: names, in order; a trailing "..." means any number. */
  args: readonly string[];
  minArgs: number;
  flags: Record<string, FlagSpec>;
  subcommands?: readonly string[];
  details?: string;
}

const common: Record<string, FlagSpec> = {
  json: { type: "boolean", help: "machine-readable output: JSON result, progress as JSON lines on stderr" },
  verbose: { type: "boolean", short: "v", help: "more detail, and stack traces on errors" },
  help: { type: "boolean", short: "h", help: "show help for this command" },
};
/** `--format`: every release archive format, then "dir" (the bundle folder only). */
const BUILD_FORMATS: readonly string[] = [...ARCHIVE_FORMATS, "dir"];

const platform: FlagSpec = { type: "string", value: "P", help: "target platform (default: the recipe's first platform)", choices: [...PLATFORMS] };
const cache: FlagSpec = { type: "string", value: "DIR", help: "cache folder (default ./cache, or $BUNDLE_CACHE_DIR)" };
const offline: FlagSpec = { type: "boolean", help: "use only the cache; list everything missing in one error" };
const locked: FlagSpec = { type: "boolean", help: "refuse to run (exit 2) unless the lock file is present, fresh and pins everything; without it a missing or stale lock is resolved and written" };
const jobs: FlagSpec = { type: "string", value: "N", help: "downloads at the same time (default 8)" };
const segments: FlagSpec = { type: "string", value: "N", help: "parallel ranged connections per large file (default 8; 1 = one connection)" };
const segmentAbove: FlagSpec = { type: "string", value: "SIZE", help: "files larger than SIZE download in segments (default 64MiB)" };

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "plan",
    summary: "validate a recipe and print the resolved plan (no network)",
    usage: "bundle plan <recipe> [--platform P] [--json]",
    args: ["recipe"],
    minArgs: 1,
    flags: { platform, ...common },
    details: "Lists every artifact with its kind, destination in the bundle, candidate URLs in mirror order and expected sha256/size/commit.",
  },
  {
    name: "lock",
    summary: "resolve every pinned wheel for each platform and write the lock file",
    usage: "bundle lock <recipe> [--platform P] [--cache DIR] [--offline]",
    args: ["recipe"],
    minArgs: 1,
    flags: { platform, cache, offline, jobs, ...common },
    details: "Without --platform every platform of the recipe is locked. Also pins the sha256 of artifacts whose recipe hash is \"lock\" (downloaded once, by you).",
  },
  {
    name: "fetch",
    summary: "download everything the plan needs into the cache, verified",
    usage: "bundle fetch <recipe> [--platform P] [--cache DIR] [--offline] [--locked] [--jobs N] [--segments N] [--segment-above SIZE]",
    args: ["recipe"],
    minArgs: 1,
    flags: { platform, cache, offline, locked, jobs, segments, "segment-above": segmentAbove, ...common },
    details: "A missing or stale lock file is resolved and written first, as `bundle lock` would (--locked refuses it instead).",
  },
  {
    name: "build",
    summary: "fetch, assemble, build the launcher and pack a release",
    usage: `bundle build <recipe> [--platform P] [--cache DIR] [--out DIR] [--offline] [--format ${BUILD_FORMATS.join("|")}] [--locked]`,
    args: ["recipe"],
    minArgs: 1,
    details: "One command from a recipe to a release: a missing or stale lock file is resolved and written first, as `bundle lock` would (--locked refuses it instead).",
    flags: {
      platform,
      cache,
      out: { type: "string", value: "DIR", help: "output folder (default ./dist)" },
      offline,
      jobs,
      segments,
      "segment-above": segmentAbove,
      format: { type: "string", value: "F", help: `${BUILD_FORMATS.slice(0, -1).join(", ")} or dir (default: the recipe's package.formats)`, choices: BUILD_FORMATS },
      locked,
      ...common,
    },
  },
  {
    name: "verify",
    summary: "unzip a release into an awkward path, boot it offline, generate and check an image",
    usage: "bundle verify <archive-or-folder> [--update FILE] [--gpu auto|require|off] [--timeout S] [--report DIR] [--keep]",
    args: ["archive"],
    minArgs: 1,
    flags: {
      gpu: { type: "string", value: "MODE", help: "auto (record GPU facts), require (fail unless the GPU generated the image), off", choices: ["auto", "require", "off"] },
      timeout: { type: "string", value: "S", help: "seconds to wait for readiness and generation (default: the recipe's verify.timeout)" },
      report: { type: "string", value: "DIR", help: "report folder (default dist/verify-<name>-<version>-<platform>)" },
      keep: { type: "boolean", help: "keep the extracted copy" },
      update: { type: "string", value: "FILE", help: "apply this update file (bundle delta) through the release's launcher first, then check the new release" },
      ...common,
    },
  },
  {
    name: "delta",
    summary: "the update file between two releases (what changed, by the manifests), for launcher --update",
    usage: "bundle delta <old> <new> [--out DIR]",
    args: ["old", "new"],
    minArgs: 2,
    flags: {
      out: { type: "string", value: "DIR", help: "folder for the update file (default: next to the new release)" },
      ...common,
    },
  },
  {
    name: "cache",
    summary: "inspect (ls), re-hash (verify) or prune (gc) the cache",
    usage: "bundle cache ls|verify|gc [recipe...] [--cache DIR] [--older-than DAYS]",
    args: ["action", "recipe..."],
    minArgs: 1,
    subcommands: ["ls", "verify", "gc"],
    flags: {
      cache,
      "older-than": { type: "string", value: "DAYS", help: "gc: drop entries not used for this many days" },
      "dry-run": { type: "boolean", help: "gc: show what would be removed" },
      ...common,
    },
    details: "gc keeps what the recipes given on the command line need (all their platforms) and drops the rest; with --older-than it drops entries unused for that long.",
  },
  {
    name: "demo",
    summary: "build and verify the built-in demo bundle against the built-in local mirror",
    usage: "bundle demo [--app a1111|comfyui|script] [--out DIR] [--cache DIR]",
    args: [],
    minArgs: 0,
    flags: {
      app: { type: "string", value: "APP", help: "which stand-in app: a1111 (a WebUI, the default), comfyui or script", choices: [...DEMO_APP_NAMES] },
      out: { type: "string", value: "DIR", help: "output folder (default ./dist)" },
      cache,
      ...common,
    },
    details: "Starts a local world on 127.0.0.1 (package index, git server, model files), builds the app's demo recipe (recipes/demo.yml, demo-comfyui.yml or demo-script.yml) for this machine, then runs bundle verify on the archive.",
  },
];

export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  help: common.help!,
  version: { type: "boolean", help: "print the greenbundle version" },
  verbose: common.verbose!,
};

export function commandNames(): string[] {
  return COMMANDS.map((c) => c.name);
}

function flagLines(flags: Record<string, FlagSpec>): string[] {
  const rows = Object.entries(flags).map(([name, f]) => {
    const left = `${f.short ? `-${f.short}, ` : "    "}--${name}${f.value ? ` ${f.value}` : ""}`;
    return [left, f.help] as const;
  });
  const w = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, h]) => `  ${l.padEnd(w)}  ${h}`);
}

export function mainHelp(version: string): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `greenbundle ${version} — portable, offline-verified bundles of Python AI apps`,
    "",
    "Usage: bundle <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    "",
    "Options:",
    ...flagLines(GLOBAL_FLAGS),
    "",
    "Exit codes: 0 success, 1 the operation failed (network, integrity, verification), 2 bad usage or invalid recipe.",
    "Run `bundle <command> --help` for a command's options.",
  ].join("\n");
}

export function commandHelp(c: CommandSpec): string {
  return [`Usage: ${c.usage}`, "", c.summary + ".", ...(c.details ? ["", c.details] : []), "", "Options:", ...flagLines(c.flags)].join("\n");
}
