// The launcher program as one CommonJS file, for the SEA blob. esbuild bundles
// src/launcher/runtime/ and the bundle.json contract it reads (Node built-ins only) in well under
// a second. Node's own type stripping would handle one file at a time but does not bundle, and a
// SEA main script can only require() built-ins. The runtime's TypeScript sources ship in the npm
// package, so that an installed greenbundle and a checkout of the same version bundle the same
// input into the same launcher (compiled lib/ files would change esbuild's output: its module
// comments name them).

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
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

/**
 * What the launcher program is made of, as one digest: every source esbuild may bundle (the
 * runtime and the two things outside it that it may import, the bundle.json contract and the
 * platform table — a test pins that module graph), the builder's version it embeds and esbuild's
 * version. A launcher cached under this digest is the one these sources would give.
 */
export async function launcherSourceDigest(): Promise<string> {
  const h = createHash("sha256");
  const esbuild = await import("esbuild");
  h.update(`greenbundle ${builderVersion()}\nesbuild ${esbuild.version}\n`);
  const files = [...(await sources(join(ROOT, "src/launcher/runtime"), "src/launcher/runtime")), ...(await sources(join(ROOT, "src/contract"), "src/contract")), "src/core/platform.ts"];
  for (const rel of files) h.update(`${rel}\n`).update(await readFile(join(ROOT, rel))).update("\n");
  return h.digest("hex");
}

async function sources(abs: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(abs, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.isDirectory()) out.push(...(await sources(join(abs, e.name), `${rel}/${e.name}`)));
    else if (e.name.endsWith(".ts")) out.push(`${rel}/${e.name}`);
  }
  return out;
}
