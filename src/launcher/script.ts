// The launcher program as one CommonJS file, for the SEA blob. esbuild bundles
// src/launcher/runtime/ and the bundle.json contract it reads (Node built-ins only) in well under
// a second. Node's own type stripping would handle one file at a time but does not bundle, and a
// SEA main script can only require() built-ins. The runtime's TypeScript sources ship in the npm
// package, so that an installed greenbundle and a checkout of the same version bundle the same
// input into the same launcher (compiled lib/ files would change esbuild's output: its module
// comments name them).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BundleError, describeError } from "../core/errors.ts";

/** The package root: paths in the bundle are relative to it, so the output is the same wherever greenbundle is installed. */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENTRY = "src/launcher/runtime/main.ts";

export function builderVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** Bundles the launcher runtime for Node `nodeMajor` (≥ 22). Deterministic for the same sources. */
export async function launcherScript(nodeMajor: number): Promise<string> {
  const esbuild = await import("esbuild");
  try {
    const r = await esbuild.build({
      entryPoints: [ENTRY],
      absWorkingDir: ROOT,
      bundle: true,
      platform: "node",
      format: "cjs",
      target: `node${nodeMajor}`,
      write: false,
      charset: "utf8",
      legalComments: "none",
      logLevel: "silent",
      define: { "process.env.GREENBUNDLE_BUILDER_VERSION": JSON.stringify(builderVersion()) },
      // The compiler settings that shape the output, given here: esbuild would otherwise read the
      // tsconfig.json it finds, which a checkout has and an installed package does not.
      tsconfigRaw: { compilerOptions: { strict: true, verbatimModuleSyntax: true, useDefineForClassFields: true } },
    });
    return r.outputFiles[0]!.text;
  } catch (cause) {
    throw new BundleError("BUILD", `bundling the launcher program (${ENTRY}) failed: ${describeError(cause)}`, { cause });
  }
}
