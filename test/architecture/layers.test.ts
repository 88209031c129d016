// The folders of src/ are layers: a folder imports only folders below it, and no module imports
// itself back through others. Read from the sources, so that a new import that breaks either rule
// fails here with the path that does it.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src", import.meta.url));

/**
 * Lowest first. A folder may import the folders of earlier rows; folders of one row do not import
 * each other. "(root)" is src/index.ts, the library entry.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["core"],
  ["contract", "integrity"],
  ["cache", "pack"],
  ["fetch"],
  ["recipe"],
  ["python", "git"],
  ["plan"],
  ["lock", "launcher", "verify", "release"],
  ["assemble", "demo"],
  ["cli"],
  ["(root)"],
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** Relative module specifiers a file imports, statically (types included) or with import(). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+"(\.{1,2}\/[^"]+)"/gms)) out.push(m[1]!);
  for (const m of text.matchAll(/^\s*import\s+"(\.{1,2}\/[^"]+)"/gm)) out.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g)) out.push(m[1]!);
  return out.map((s) => normalize(join(dirname(file), s)));
}

const folderOf = (file: string) => {
  const parts = relative(SRC, file).split(/[\\/]/);
  return parts.length > 1 ? parts[0]! : "(root)";
};

const graph = new Map(sources(SRC).map((f) => [f, importsOf(f)]));

/** Every cycle of modules, each as the path that closes it (Tarjan's strongly connected components). */
function cycles(g: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(relative(SRC, w));
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("the layers of src/", () => {
  it("lists every folder of src/ in exactly one layer", () => {
    const folders = [...new Set([...graph.keys()].map(folderOf))].sort();
    const listed = LAYERS.flat();
    expect(folders.filter((f) => !listed.includes(f)), "add new folders to LAYERS").toEqual([]);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it("has no import cycle between modules", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("imports only from lower layers (or within the same folder)", () => {
    const row = new Map(LAYERS.flatMap((r, i) => r.map((f) => [f, i] as const)));
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      for (const t of targets) {
        const to = folderOf(t);
        if (to === from) continue;
        if ((row.get(to) ?? Infinity) >= (row.get(from) ?? -1)) upward.push(`${relative(SRC, file)} imports ${relative(SRC, t)} (${from} → ${to})`);
      }
    }
    expect(upward).toEqual([]);
  });
});
