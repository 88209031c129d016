// Loading a recipe: read YAML with positions, follow `extends` (deep merge, child wins), validate
// with the schema, then the whole-recipe checks. Every problem becomes a Diagnostic with the file
// the offending value came from, its line and column, the key path and a hint.

import { stat } from "node:fs/promises";
import { dirname, resolve, relative, isAbsolute } from "node:path";
import type { z } from "zod";
import { BundleError, type Diagnostic, type SourcePos } from "../core/errors.ts";
import { didYouMean } from "../core/suggest.ts";
import { RecipeSchema, type Recipe } from "./schema.ts";
import { readYamlSource, formatPath, positionOf, rawScalarAt, type KeyPath, type YamlSource } from "./yaml-source.ts";
import { knownKeysAt } from "./schema-walk.ts";
import { semanticChecks } from "./validate.ts";

export interface LoadedRecipe {
  recipe: Recipe;
  /** The entry recipe as the user named it. */
  file: string;
  /** Sources from the entry recipe up its `extends` chain (entry first). */
  sources: YamlSource[];
  /** Where the value at `path` came from (the nearest existing key if the path is absent). */
  locate(path: KeyPath, preferKey?: boolean): SourcePos;
  /** Absolute path of a recipe-relative file named at `path`, resolved against the file that set it. */
  resolveFile(path: KeyPath, value: string): string;
}

const MAX_EXTENDS = 8;

export async function loadRecipe(file: string): Promise<LoadedRecipe> {
  const sources = await readChain(file);
  const merged = sources.reduceRight<unknown>((acc, s) => deepMerge(acc, s.value), undefined);
  if (merged && typeof merged === "object") delete (merged as Record<string, unknown>).extends;

  const locate = (path: KeyPath, preferKey = false): SourcePos => locateIn(sources, path, preferKey);
  const diagnostics: Diagnostic[] = [];

  if (merged === null || typeof merged !== "object" || Array.isArray(merged)) {
    throw new BundleError("RECIPE", `${file} is not a recipe`, {
      diagnostics: [{ ...locate([]), path: "", message: "a recipe must be a YAML mapping (key: value lines)", hint: "start from recipes/demo.yml" }],
    });
  }

  // YAML problems that still leave a readable document (a duplicated key) are reported together with the rest.
  for (const src of sources) diagnostics.push(...(src.problems ?? []));
  const parsed = RecipeSchema.safeParse(merged);
  if (!parsed.success) {
    const raw = (path: KeyPath) => sources.map((s) => rawScalarAt(s, path)).find((x) => x !== undefined);
    for (const issue of parsed.error.issues) diagnostics.push(...issueToDiagnostics(issue, merged, locate, raw));
    // Cross-references are checked on the raw value as well: every problem in one run.
    diagnostics.push(...semanticChecks(merged, locate));
    throw recipeError(file, diagnostics);
  }
  const loaded: LoadedRecipe = {
    recipe: parsed.data,
    file,
    sources,
    locate,
    resolveFile(path, value) {
      const from = sourceOf(sources, path) ?? sources[0]!;
      return isAbsolute(value) ? value : resolve(dirname(from.file), value);
    },
  };
  diagnostics.push(...semanticChecks(parsed.data, locate));
  const errors = diagnostics.filter((d) => d.severity !== "warning");
  if (errors.length > 0) throw recipeError(file, diagnostics);
  return loaded;
}

export function recipeError(file: string, diagnostics: Diagnostic[]): BundleError {
  const seen = new Set<string>();
  const unique = diagnostics.filter((d) => {
    const key = `${d.file}:${d.line}:${d.col}:${d.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  const sorted = unique.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  const n = sorted.filter((d) => d.severity !== "warning").length;
  return new BundleError("RECIPE", `${file}: ${n} problem${n === 1 ? "" : "s"} in the recipe`, {
    diagnostics: sorted,
    hint: "fix the lines above; `bundle plan <recipe>` checks a recipe without downloading anything",
  });
}

async function readChain(file: string): Promise<YamlSource[]> {
  const chain: YamlSource[] = [];
  const seen = new Set<string>();
  let current = file;
  for (;;) {
    const abs = resolve(current);
    if (seen.has(abs)) {
      const prev = chain[chain.length - 1]!;
      throw recipeError(file, [
        { ...(positionOf(prev, ["extends"]) ?? { file: prev.file, line: 1, col: 1 }), path: "extends", message: `extends cycle: ${current} is already in the chain` },
      ]);
    }
    seen.add(abs);
    const src = await readYamlSource(abs, shown(current));
    chain.push(src);
    const ext = (src.value as Record<string, unknown> | null)?.extends;
    if (ext === undefined || ext === null) return chain;
    if (typeof ext !== "string") {
      throw recipeError(file, [{ ...positionOf(src, ["extends"])!, path: "extends", message: "extends must be a path to another recipe" }]);
    }
    if (chain.length > MAX_EXTENDS) {
      throw recipeError(file, [{ ...positionOf(src, ["extends"])!, path: "extends", message: `more than ${MAX_EXTENDS} levels of extends` }]);
    }
    const next = resolve(dirname(abs), ext);
    const isFile = await stat(next).then((s) => (s.isFile() ? true : "folder"), () => false);
    if (isFile !== true) {
      throw recipeError(file, [
        {
          ...positionOf(src, ["extends"])!,
          path: "extends",
          message: `extends names ${ext}, which ${isFile === "folder" ? "is a folder, not a recipe file" : "does not exist"}`,
          hint: "the path is relative to the recipe that contains it and names a .yml file",
        },
      ]);
    }
    current = next;
  }
}

function shown(p: string): string {
  const rel = relative(process.cwd(), resolve(p));
  return rel.startsWith("..") || isAbsolute(rel) ? resolve(p) : rel;
}

/** Objects merge key by key; arrays and scalars from the child replace; `null` in the child deletes. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      if (v === null) delete out[k];
      else out[k] = deepMerge(out[k], v);
    }
    return out;
  }
  return over === undefined ? base : over;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sourceOf(sources: YamlSource[], path: KeyPath): YamlSource | undefined {
  return sources.find((s) => positionOf(s, path) !== undefined);
}

function locateIn(sources: YamlSource[], path: KeyPath, preferKey: boolean): SourcePos {
  for (let n = path.length; n >= 0; n--) {
    const prefix = path.slice(0, n);
    for (const s of sources) {
      const pos = positionOf(s, prefix, preferKey || n < path.length);
      if (pos) return pos;
    }
  }
  return { file: sources[0]!.file, line: 1, col: 1 };
}

function valueAt(root: unknown, path: KeyPath): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${typeof v} ${JSON.stringify(v)}`;
}

type Issue = z.core.$ZodIssue;

function issueToDiagnostics(issue: Issue, root: unknown, locate: LoadedRecipe["locate"], raw: (p: KeyPath) => string | undefined): Diagnostic[] {
  const path = issue.path.filter((s): s is string | number => typeof s !== "symbol");
  const at = formatPath(path);
  const params = (issue as { params?: { hint?: string } }).params;
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeysAt(path);
      return issue.keys.map((key) => ({
        ...locate([...path, key], true),
        path: formatPath([...path, key]),
        message: `unknown key "${key}"`,
        hint: didYouMean(key, known) ?? (known.length ? `allowed here: ${known.join(", ")}` : undefined),
      }));
    }
    case "invalid_type": {
      const value = valueAt(root, path);
      if (value === undefined) {
        const key = path[path.length - 1];
        return [{ ...locate(path.slice(0, -1), true), path: at, message: `missing required key "${String(key)}"`, hint: `add ${at}: (${issue.expected})` }];
      }
      const text = raw(path);
      const quote =
        issue.expected === "string" && (typeof value === "number" || typeof value === "boolean") && text !== undefined
          ? `YAML reads ${text} as a ${typeof value}; write it in quotes: "${text}"`
          : undefined;
      return [{ ...locate(path), path: at, message: `expected ${issue.expected}, got ${text !== undefined && typeof value !== "string" ? `${typeof value} ${text}` : typeName(value)}`, hint: quote }];
    }
    case "invalid_value": {
      const value = valueAt(root, path);
      const allowed = issue.values.map((v) => String(v));
      const dym = typeof value === "string" ? didYouMean(value, allowed) : undefined;
      const what = path[0] === "platforms" ? "unknown platform" : "unexpected value";
      return [
        {
          ...locate(path),
          path: at,
          message: issue.message.startsWith("Invalid") ? `${what} ${JSON.stringify(value)}` : quoting(issue.message, value),
          hint: dym ?? `allowed: ${allowed.join(", ")}`,
        },
      ];
    }
    case "too_small":
      return [{ ...locate(path), path: at, message: issue.origin === "array" ? `${at} must list at least ${String(issue.minimum)} item(s)` : quoting(issue.message, valueAt(root, path)) }];
    case "invalid_key":
      return [{ ...locate(path, true), path: at, message: issue.issues[0]?.message ?? issue.message }];
    default:
      return [{ ...locate(path), path: at, message: quoting(issue.message, valueAt(root, path)), hint: params?.hint }];
  }
}

/** The message, with the offending scalar quoted after it unless the message quotes it already. */
function quoting(message: string, value: unknown): string {
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") return message;
  const shown = JSON.stringify(typeof value === "string" && value.length > 120 ? `${value.slice(0, 117)}...` : value);
  return message.includes(shown) || message.includes(String(value)) ? message : `${message} (got ${shown})`;
}
