// Parses argv against the command specs. Unknown commands and flags are usage errors (exit 2)
// with a "did you mean" suggestion.

import { parseArgs } from "node:util";
import { BundleError } from "../core/errors.ts";
import { didYouMean } from "../core/suggest.ts";
import { sizeBytes } from "../core/size.ts";
import { COMMANDS, GLOBAL_FLAGS, commandNames, type CommandSpec, type FlagSpec } from "./spec.ts";

export type Flags = Record<string, string | boolean | undefined>;

export type Parsed =
  | { kind: "help"; command?: CommandSpec }
  | { kind: "version" }
  | { kind: "run"; command: CommandSpec; args: string[]; flags: Flags; rest: string[] };

function toParseArgsOptions(flags: Record<string, FlagSpec>) {
  return Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, { type: f.type, ...(f.short ? { short: f.short } : {}) }]));
}

export function parseCommandLine(argv: readonly string[]): Parsed {
  const first = argv.findIndex((a) => !a.startsWith("-"));
  if (first < 0) {
    const { values } = parseOrThrow(argv, GLOBAL_FLAGS, undefined);
    if (values.version) return { kind: "version" };
    return { kind: "help" };
  }
  const globalPart = argv.slice(0, first);
  const { values: g } = parseOrThrow(globalPart, GLOBAL_FLAGS, undefined);
  if (g.version) return { kind: "version" };
  const name = argv[first]!;
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    if (name === "help") {
      const about = COMMANDS.find((c) => c.name === argv[first + 1]);
      return about ? { kind: "help", command: about } : { kind: "help" };
    }
    throw new BundleError("USAGE", `unknown command "${name}"`, {
      hint: didYouMean(name, commandNames()) ?? `commands: ${commandNames().join(", ")}`,
    });
  }
  const dd = argv.indexOf("--", first);
  const own = dd < 0 ? argv.slice(first + 1) : argv.slice(first + 1, dd);
  const rest = dd < 0 ? [] : argv.slice(dd + 1);
  const { values, positionals } = parseOrThrow(own, command.flags, command);
  if (values.help || g.help) return { kind: "help", command };
  if (g.verbose) values.verbose = true;
  for (const [flag, spec] of Object.entries(command.flags)) {
    const v = values[flag];
    if (spec.choices && typeof v === "string" && !spec.choices.includes(v)) {
      throw new BundleError("USAGE", `--${flag} ${v} is not one of: ${spec.choices.join(", ")}`, {
        hint: didYouMean(v, spec.choices) ?? `see \`bundle ${command.name} --help\``,
      });
    }
  }
  if (command.subcommands && positionals[0] !== undefined && !command.subcommands.includes(positionals[0])) {
    throw new BundleError("USAGE", `unknown action "${positionals[0]}" for bundle ${command.name}`, {
      hint: didYouMean(positionals[0], command.subcommands) ?? `actions: ${command.subcommands.join(", ")}`,
    });
  }
  const variadic = command.args.some((a) => a.endsWith("..."));
  if (positionals.length < command.minArgs) {
    throw new BundleError("USAGE", `bundle ${command.name} needs ${command.args.slice(0, command.minArgs).map((a) => `<${a}>`).join(" ")}`, {
      hint: `usage: ${command.usage}`,
    });
  }
  if (!variadic && positionals.length > command.args.length) {
    throw new BundleError("USAGE", `unexpected argument "${positionals[command.args.length]}" for bundle ${command.name}`, { hint: `usage: ${command.usage}` });
  }
  return { kind: "run", command, args: positionals, flags: values, rest };
}

function parseOrThrow(args: readonly string[], flags: Record<string, FlagSpec>, command: CommandSpec | undefined) {
  try {
    return parseArgs({ args: [...args], options: toParseArgsOptions(flags), allowPositionals: true, strict: true }) as {
      values: Flags;
      positionals: string[];
    };
  } catch (e) {
    const msg = (e as Error).message;
    const opt = /'(-{1,2}[^' ]+)/.exec(msg)?.[1] ?? "";
    const where = command ? `bundle ${command.name}` : "bundle";
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const names = Object.keys(flags);
      const bare = opt.replace(/^-+/, "");
      const dym = didYouMean(bare, names);
      const elsewhere = !dym ? COMMANDS.filter((c) => c.name !== command?.name && bare in c.flags).map((c) => c.name) : [];
      throw new BundleError("USAGE", `unknown option ${opt} for ${where}`, {
        hint: dym
          ? `${dym.replace(`"${closestOf(dym)}"`, `--${closestOf(dym)}`)}`
          : elsewhere.length
            ? `--${bare} is an option of bundle ${elsewhere.join(", ")}`
            : `see \`${where} --help\``,
      });
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") throw invalidValue(msg, opt, args, flags, where);
    throw new BundleError("USAGE", `${msg} (${where})`, { hint: `see \`${where} --help\`` });
  }
}

/** node:util's value errors, said in one line with what to type instead. */
function invalidValue(msg: string, opt: string, args: readonly string[], flags: Record<string, FlagSpec>, where: string): BundleError {
  const name = opt.replace(/^-+/, "");
  const placeholder = flags[name]?.value ?? "VALUE";
  const help = `see \`${where} --help\``;
  if (/ambiguous/.test(msg)) {
    const next = args[args.indexOf(opt) + 1] ?? "";
    return new BundleError("USAGE", `${opt} needs a value, and the next word "${next}" looks like an option (${where})`, {
      hint: `write ${opt}=${next} if that is the value; ${help}`,
    });
  }
  if (/does not take an argument/.test(msg)) return new BundleError("USAGE", `${opt} is a switch and takes no value (${where})`, { hint: `write ${opt} alone` });
  if (/argument missing/.test(msg)) return new BundleError("USAGE", `${opt} needs a value: ${opt} ${placeholder} (${where})`, { hint: help });
  return new BundleError("USAGE", `${msg.split("\n")[0]!.replace(/\.$/, "")} (${where})`, { hint: help });
}

function closestOf(dym: string): string {
  return /"([^"]+)"/.exec(dym)?.[1] ?? "";
}

export function intFlag(flags: Flags, name: string, dflt: number, min = 1): number {
  const v = flags[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new BundleError("USAGE", `--${name} must be a whole number ≥ ${min} (got "${String(v)}")`);
  return n;
}

/** A size flag ("64MiB", "500MB", a plain number of bytes); undefined when absent. */
export function sizeFlag(flags: Flags, name: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(String(v)) ? Number(v) : sizeBytes(String(v));
  if (n === undefined || !Number.isFinite(n)) throw new BundleError("USAGE", `--${name} must be a size such as 64MiB or 500MB (got "${String(v)}")`);
  return n;
}

/** How large files are downloaded: --segments N (1 = one connection per file) and --segment-above SIZE. */
export function segmentFlags(flags: Flags): { segments?: number; segmentThreshold?: number } {
  const segments = flags.segments === undefined ? undefined : intFlag(flags, "segments", 8);
  if (segments !== undefined && segments > 64) throw new BundleError("USAGE", `--segments must be at most 64 (got ${segments})`, { hint: "mirrors treat more connections from one client as abuse" });
  const above = sizeFlag(flags, "segment-above");
  return { ...(segments !== undefined ? { segments } : {}), ...(above !== undefined ? { segmentThreshold: above } : {}) };
}
