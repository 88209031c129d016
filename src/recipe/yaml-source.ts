// A parsed YAML file that remembers where every key and value is, so that errors can say
// file:line:column. Pure apart from reading the file.

import { readFile } from "node:fs/promises";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from "yaml";
import { BundleError, type Diagnostic, type SourcePos } from "../core/errors.ts";

export type KeyPath = readonly (string | number)[];

export interface YamlSource {
  /** Path as given by the user (relative paths stay relative, for readable messages). */
  file: string;
  doc: Document;
  lines: LineCounter;
  /** The plain JS value of the document. */
  value: unknown;
  /** Problems that leave the document readable (a key given twice: the last one counts), reported with the rest. */
  problems?: Diagnostic[];
}

export function formatPath(path: KeyPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out;
}

export async function readYamlSource(file: string, shownAs = file): Promise<YamlSource> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A missing file or a folder is a wrong argument (exit 2); anything else is the disk's trouble.
    const usage = code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR";
    throw new BundleError(usage ? "USAGE" : "IO", `cannot read recipe ${shownAs}: ${code === "EISDIR" ? "it is a folder" : (code ?? String(e))}`, {
      hint:
        code === "EISDIR"
          ? "name the recipe file itself, e.g. recipes/sd-webui-a1111.yml"
          : usage
            ? "check the path; recipes usually live in recipes/"
            : "check that the file exists and that you may read it",
      cause: e,
    });
  }
  return parseYamlSource(text, shownAs);
}

/** Parses YAML text; syntax errors become diagnostics (exit 2) with the exact position. */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const diagnostics: Diagnostic[] = doc.errors.map((e) => {
    const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
    const message = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "").replace(/; please use YAML\.\w+\(\)$/, "");
    const dup = e.code === "DUPLICATE_KEY" ? duplicateKey(doc, lines, e.pos[0]) : undefined;
    return { file, line: pos.line, col: pos.col, path: dup?.path ?? "", message: `YAML syntax: ${message}${dup ? `: ${dup.text}` : ""}`, hint: yamlHint(e.code) };
  });
  // A key given twice still leaves a document to check: its other problems are reported in the same run.
  if (doc.errors.some((e) => e.code !== "DUPLICATE_KEY")) throw new BundleError("RECIPE", `${file} is not valid YAML`, { diagnostics });
  return { file, doc, lines, value: toValue(doc, lines, file), ...(diagnostics.length ? { problems: diagnostics } : {}) };
}

/** The duplicated key at `offset`: its name, where it was first given, and its key path. */
function duplicateKey(doc: Document, lines: LineCounter, offset: number): { text: string; path: string } | undefined {
  let found: { text: string; path: string } | undefined;
  visit(doc, {
    Map(_, map, ancestors) {
      const keys = map.items.map((p) => (isScalar(p.key) ? p.key : undefined));
      const i = keys.findIndex((k) => k?.range?.[0] === offset);
      if (i < 0) return undefined;
      const name = String(keys[i]!.value);
      const first = keys.findIndex((k) => k !== undefined && String(k.value) === name);
      const at = keys[first]?.range ? lines.linePos(keys[first]!.range![0]).line : undefined;
      const path: (string | number)[] = [];
      for (let a = 0; a < ancestors.length; a++) {
        const node = ancestors[a];
        if (isPair(node) && isScalar(node.key)) path.push(String(node.key.value));
        else if (isSeq(node)) path.push(node.items.indexOf((ancestors[a + 1] ?? map) as never));
      }
      found = { text: `"${name}" is given twice${at ? ` (first on line ${at}); the last one would count` : ""}`, path: formatPath([...path, name]) };
      return visit.BREAK;
    },
  });
  return found;
}

/** The document as plain JS; alias trouble (which the parser leaves to this step) is a diagnostic too. */
function toValue(doc: Document, lines: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const unresolved = /^Unresolved alias[^:]*: (.*)$/.exec((e as Error).message)?.[1];
    let at: number | undefined;
    visit(doc, {
      Alias(_, node) {
        if (at === undefined && (unresolved === undefined || node.source === unresolved)) at = node.range?.[0];
      },
    });
    const pos = at === undefined ? { line: 1, col: 1 } : lines.linePos(at);
    const message = unresolved !== undefined ? `YAML alias *${unresolved} names no anchor &${unresolved} set before it` : "YAML aliases expand to too many values";
    const hint = unresolved !== undefined ? `define &${unresolved} earlier in the file, or write the value out` : "write the values out instead of nesting aliases";
    throw new BundleError("RECIPE", `${file} is not valid YAML`, { diagnostics: [{ file, ...pos, path: "", message, hint }], cause: e });
  }
}

function yamlHint(code: string): string {
  switch (code) {
    case "DUPLICATE_KEY":
      return "each key may appear once in a mapping; remove or merge the duplicate";
    case "MULTIPLE_DOCS":
      return "a recipe is one YAML document: remove the `---` line and what follows, or merge it";
    case "TAB_AS_INDENT":
      return "YAML indentation must use spaces, not tabs";
    case "BAD_INDENT":
    case "MISSING_CHAR":
      return "check the indentation and closing brackets on this line and the one before";
    default:
      return "fix the YAML syntax at this position";
  }
}

interface Located {
  keyNode?: Node | undefined;
  valueNode?: Node | undefined;
}

/** Finds the key and value nodes at `path`, or undefined when the path is not in the document. */
export function findNode(src: YamlSource, path: KeyPath): Located | undefined {
  let node: unknown = src.doc.contents;
  let keyNode: Node | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return undefined;
      keyNode = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number") {
      if (seg < 0 || seg >= node.items.length) return undefined;
      keyNode = undefined;
      node = node.items[seg];
    } else {
      return undefined;
    }
  }
  return { keyNode, valueNode: (node ?? undefined) as Node | undefined };
}

/** The position of the value at `path` (or of its key when `preferKey`), if present. */
export function positionOf(src: YamlSource, path: KeyPath, preferKey = false): SourcePos | undefined {
  const found = findNode(src, path);
  if (!found) return undefined;
  const node = preferKey && found.keyNode ? found.keyNode : (found.valueNode ?? found.keyNode);
  const offset = node?.range?.[0];
  if (offset === undefined) {
    if (found.keyNode?.range) return { file: src.file, ...src.lines.linePos(found.keyNode.range[0]) };
    return undefined;
  }
  return { file: src.file, ...src.lines.linePos(offset) };
}

/** The scalar's text as written in the file (e.g. "3.10" where the value is the number 3.1). */
export function rawScalarAt(src: YamlSource, path: KeyPath): string | undefined {
  const node = findNode(src, path)?.valueNode;
  return isScalar(node) && typeof node.source === "string" ? node.source : undefined;
}
