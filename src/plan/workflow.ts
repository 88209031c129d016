// The recipe's `verify.workflow`: a ComfyUI graph in its API format ({"<node id>": {"class_type",
// "inputs"}}, links written [<node id>, <output index>], ComfyUI `execution.py` at v0.3.64), read
// when the recipe is planned, so that a broken file is a recipe error at its own file:line:column
// and never a failed verify an hour into a build. The builder puts the graph into bundle.json.

import { readFile } from "node:fs/promises";
import { BundleError, type Diagnostic } from "../core/errors.ts";
import { didYouMean } from "../core/suggest.ts";
import type { LoadedRecipe } from "../recipe/load.ts";
import { WORKFLOW_PLACEHOLDERS } from "../recipe/verify-checks.ts";
import { parseYamlSource, positionOf, type KeyPath, type YamlSource } from "../recipe/yaml-source.ts";
import { shownPath } from "./shown.ts";

export type WorkflowGraph = Record<string, { class_type: string; inputs: Record<string, unknown>; [key: string]: unknown }>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** 1-based line and column of a character offset. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, col: before.at(-1)!.length + 1 };
}

/** JSON.parse's message without its position, and the position (V8 says "at position N"). */
function syntaxProblem(text: string, e: Error): { message: string; line: number; col: number } {
  const at = /at position (\d+)/.exec(e.message);
  const pos = at ? lineCol(text, Number(at[1])) : text.trim() === "" ? { line: 1, col: 1 } : lineCol(text, text.length);
  return { message: e.message.replace(/\s*(in JSON )?at position \d+.*$/, "").replace(/^JSON\.parse: /, ""), ...pos };
}

/** Checks a workflow's text; the graph, or every problem at its line:column in `file`. */
export function parseWorkflow(text: string, file: string): { graph?: WorkflowGraph; diagnostics: Diagnostic[] } {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    const p = syntaxProblem(text, e as Error);
    return { diagnostics: [{ file, line: p.line, col: p.col, path: "", message: `not valid JSON: ${p.message}`, hint: "a workflow is the JSON ComfyUI writes with Save (API Format)" }] };
  }
  let src: YamlSource | undefined;
  try {
    src = parseYamlSource(text, file); // JSON is YAML: positions for the problems below
  } catch {
    /* positions fall back to the start of the file */
  }
  const diagnostics: Diagnostic[] = [];
  const add = (path: KeyPath, message: string, hint?: string) => diagnostics.push({ file, ...((src && positionOf(src, path)) ?? { line: 1, col: 1 }), path: path.join("."), message, ...(hint ? { hint } : {}) });
  if (!isObj(value)) {
    add([], "a workflow is a JSON object of nodes ({\"<id>\": {\"class_type\": …, \"inputs\": {…}}})", "export it from ComfyUI with Save (API Format)");
    return { diagnostics };
  }
  if (Array.isArray(value.nodes) && "links" in value) {
    add([], "this is ComfyUI's UI format (nodes and links), which its API does not accept", "export the graph with Save (API Format) (enable the dev mode options in ComfyUI's settings)");
    return { diagnostics };
  }
  const ids = Object.keys(value);
  if (ids.length === 0) add([], "the workflow has no nodes");
  for (const id of ids) checkNode(value, id, add);
  return diagnostics.length ? { diagnostics } : { graph: value as WorkflowGraph, diagnostics };
}

function checkNode(graph: Obj, id: string, add: (path: KeyPath, message: string, hint?: string) => void): void {
  const node = graph[id];
  if (!isObj(node)) return add([id], `node ${id} is not an object with class_type and inputs`);
  if (typeof node.class_type !== "string" || node.class_type === "") add([id], `node ${id} has no class_type`, "every node names its class, e.g. \"class_type\": \"KSampler\"");
  if (!isObj(node.inputs)) return add([id], `node ${id} has no inputs object`, "write \"inputs\": {} for a node without inputs");
  for (const [name, v] of Object.entries(node.inputs)) {
    const at = [id, "inputs", name];
    if (Array.isArray(v)) {
      const [from, slot] = v as unknown[];
      // ComfyUI looks the node up by the link's first member as it is: an id written as a number finds nothing.
      if (v.length !== 2 || typeof from !== "string" || !Number.isInteger(slot)) add(at, `input ${name} of node ${id} is a list but not a link ["<node id>", <output index>]`, "a link names the node by its id as a string, then the output's index");
      else if (!Object.hasOwn(graph, from)) add(at, `input ${name} of node ${id} links to node ${from}, which the workflow does not have`, didYouMean(from, Object.keys(graph)) ?? `nodes: ${Object.keys(graph).join(", ")}`);
    } else strings(v, at, add);
  }
}

function strings(v: unknown, at: KeyPath, add: (path: KeyPath, message: string, hint?: string) => void): void {
  if (typeof v === "string") {
    for (const m of v.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
      if (!(WORKFLOW_PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
        add(at, `unknown placeholder {${m[1]}}`, didYouMean(m[1]!, WORKFLOW_PLACEHOLDERS) ?? `known: ${WORKFLOW_PLACEHOLDERS.map((x) => `{${x}}`).join(" ")}`);
      }
    }
  } else if (isObj(v)) for (const [k, x] of Object.entries(v)) strings(x, [...at, k], add);
}

/** The recipe's workflow graph, read and checked; undefined when the recipe names none. */
export async function readWorkflow(loaded: LoadedRecipe): Promise<WorkflowGraph | undefined> {
  const name = loaded.recipe.verify?.workflow;
  if (name === undefined) return undefined;
  const abs = loaded.resolveFile(["verify", "workflow"], name);
  const shown = shownPath(abs);
  let text: string;
  try {
    text = await readFile(abs, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" || code === "EISDIR" ? "does not exist or is not a file" : `cannot be read (${code ?? String(e)})`;
    throw new BundleError("RECIPE", `the workflow ${shown} ${why}`, {
      diagnostics: [{ ...loaded.locate(["verify", "workflow"]), path: "verify.workflow", message: `${shown} ${why}`, hint: "the path is relative to the recipe that names it" }],
      cause: e,
    });
  }
  const r = parseWorkflow(text, shown);
  if (!r.graph) throw new BundleError("RECIPE", `${shown}: ${r.diagnostics.length} problem(s) in the workflow`, { diagnostics: r.diagnostics, hint: "fix the workflow file; `bundle plan` checks it without downloading anything" });
  return r.graph;
}
