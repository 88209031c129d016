// `node scripts/check-deps.ts [--list]` (part of `npm test`): every package that src/ and bin/
// import — statically, with import(), require() or require.resolve() — must be a declared
// dependency at an exact version, and every declared dependency must be imported somewhere.
// An installed greenbundle has only its own dependencies: a package that arrives through another
// one (esbuild once came only with @yao-pkg/pkg) can vanish or change version with that one.

import { readdirSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface DepProblems {
  /** Package name → files importing it, for packages missing from dependencies. */
  undeclared: Map<string, string[]>;
  /** Declared in devDependencies only, yet imported by shipped code. */
  devOnly: Map<string, string[]>;
  /** Declared dependencies that no shipped file imports. */
  unused: string[];
  /** Dependencies whose version is a range, not an exact pin. */
  unpinned: string[];
}

const PATTERNS = [
  /^\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/gms, // import … from "x", export … from "x"
  /^\s*import\s+["']([^"']+)["']/gm, // import "x"
  /\bimport\(\s*["']([^"']+)["']\s*\)/g, // import("x")
  /\brequire\(\s*["']([^"']+)["']\s*\)/g, // require("x")
  /(?:\brequire|\))\.resolve\(\s*["']([^"']+)["']\s*\)/g, // require.resolve("x"), createRequire(…).resolve("x")
];

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or undefined for relative paths and Node built-ins. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("#") || isBuiltin(specifier)) return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Bare package names imported by one file's text (comment lines are skipped). */
export function importsOf(text: string): Set<string> {
  const code = text
    .split("\n")
    .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
    .join("\n");
  const out = new Set<string>();
  for (const re of PATTERNS) for (const m of code.matchAll(re)) {
    const pkg = packageOf(m[1]!);
    if (pkg) out.add(pkg);
  }
  return out;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return /\.(ts|js|mjs|cjs)$/.test(e.name) && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

export function checkDeps(dir = root): { imports: Map<string, string[]>; problems: DepProblems } {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const deps = pkg.dependencies ?? {};
  const dev = pkg.devDependencies ?? {};
  const imports = new Map<string, string[]>();
  for (const file of [...files(join(dir, "src")), ...files(join(dir, "bin"))]) {
    for (const name of importsOf(readFileSync(file, "utf8"))) imports.set(name, [...(imports.get(name) ?? []), relative(dir, file)]);
  }
  const problems: DepProblems = { undeclared: new Map(), devOnly: new Map(), unused: [], unpinned: [] };
  for (const [name, where] of imports) {
    if (deps[name]) continue;
    if (dev[name]) problems.devOnly.set(name, where);
    else problems.undeclared.set(name, where);
  }
  problems.unused = Object.keys(deps).filter((d) => !imports.has(d));
  problems.unpinned = Object.entries(deps).filter(([, v]) => !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(v)).map(([k, v]) => `${k}@${v}`);
  return { imports, problems };
}

function report(): number {
  const { imports, problems } = checkDeps();
  if (process.argv.includes("--list")) {
    for (const [name, where] of [...imports].sort(([a], [b]) => (a < b ? -1 : 1))) console.log(`${name}  (${where.length} file(s), e.g. ${where[0]})`);
  }
  const lines: string[] = [];
  const first = (w: string[]) => `${w.slice(0, 3).join(", ")}${w.length > 3 ? `, … ${w.length - 3} more` : ""}`;
  for (const [name, where] of problems.undeclared) lines.push(`${name} is imported but not a dependency (${first(where)}): add it to "dependencies" at an exact version`);
  for (const [name, where] of problems.devOnly) lines.push(`${name} is imported by shipped code but only a devDependency (${first(where)}): move it to "dependencies"`);
  for (const name of problems.unused) lines.push(`${name} is a dependency that nothing in src/ or bin/ imports: remove it`);
  for (const spec of problems.unpinned) lines.push(`${spec} is a range: pin the exact version`);
  if (lines.length) {
    console.error(`check-deps: ${lines.length} problem(s) in package.json\n${lines.map((l) => `  ${l}`).join("\n")}`);
    return 1;
  }
  console.log(`check-deps: ${imports.size} imported package(s), all declared and pinned`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = report();
