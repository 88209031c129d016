// `npm run build` (and `prepack`): compiles src/ to JavaScript with declarations into lib/, the
// code an installed greenbundle runs (Node refuses to strip types under node_modules). Files
// under src/ that are not TypeScript (the demo app's Python) are copied beside the compiled
// modules that read them. Built under a temporary name and swapped in, so that an interrupted
// or failed build never leaves a half-written lib/ behind.

import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const lib = join(root, "lib");
const partial = join(root, `.lib.partial-${process.pid}`);
const old = join(root, `.lib.old-${process.pid}`);

function assets(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === "__pycache__" ? [] : assets(p);
    return e.name.endsWith(".ts") || e.name.endsWith(".pyc") ? [] : [p];
  });
}

try {
  // The package's own bin script (its exports map does not list bin/).
  const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");
  execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", partial], { stdio: "inherit" });
  const src = join(root, "src");
  const copied = assets(src);
  for (const file of copied) cpSync(file, join(partial, relative(src, file)), { preserveTimestamps: false });
  rmSync(old, { recursive: true, force: true });
  try {
    renameSync(lib, old);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  renameSync(partial, lib);
  rmSync(old, { recursive: true, force: true });
  // On stderr: `npm pack --json` runs this as prepack, and its stdout must stay one JSON document.
  console.error(`built ${relative(process.cwd(), lib) || "."}/ (${copied.length} asset file(s) copied from src/)`);
} catch (e) {
  rmSync(partial, { recursive: true, force: true });
  console.error(`build failed: ${(e as Error).message}`);
  process.exitCode = 1;
}
