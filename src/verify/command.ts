// Script apps (`verify.api: command`), such as Stability-AI's `scripts/txt2img.py`: no server is
// booted. The driver runs `launcher --exec -- <verify.command…>` with the network cut off; the
// command passes when it exits 0 within the timeout, and the image checked is the newest PNG
// that matches `verify.image` (a glob relative to the bundle root). `{out}` in both is a fresh
// folder inside the bundle that verify makes and allows to change; the txt2img placeholders are
// filled here, the launcher's own ({python}, {bundle}, {git}, {port}) by the launcher.

import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { BundleJson } from "../contract/bundle-json.ts";
import { DEFAULT_OUT, type ApiContext, type ApiPlan, type GeneratedImage, type PlannedExecStep, type VerifyApi } from "./api.ts";
import { globToRegExp } from "./glob.ts";

const DEFAULT_TXT2IMG = { prompt: "a cute cat", steps: 20, width: 512, height: 512, seed: 42 };
const FILLED = ["prompt", "seed", "steps", "width", "height"] as const;

function txt2img(bj: BundleJson): Record<string, unknown> {
  return { ...DEFAULT_TXT2IMG, ...(bj.verify?.txt2img ?? {}) };
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : undefined);

/** `s` with {out} and the txt2img placeholders filled; the launcher's are left for the launcher. */
export function fillCommand(s: string, values: Record<string, unknown>, out: string): string {
  return s.replace(/\{(prompt|seed|steps|width|height|out)\}/g, (_, k: string) => (k === "out" ? out : String(values[k] ?? "")));
}

export function commandPlan(c: ApiContext): ApiPlan<PlannedExecStep> {
  const { bj, timeoutMs } = c;
  const out = c.out ?? DEFAULT_OUT;
  const request = txt2img(bj);
  // "{bundle}/<out>": the launcher makes it absolute, wherever the bundle was unpacked.
  const exec = (strings(bj.verify?.command) ?? []).map((s) => fillCommand(s, request, `{bundle}/${out}`));
  return {
    server: false,
    ready: bj.launcher.ready ?? "/",
    request: { ...Object.fromEntries(FILLED.map((k) => [k, request[k]])), command: exec, image: imageGlob(bj, out) },
    expect: { width: Number(request.width), height: Number(request.height) },
    outDir: out,
    steps: [{ name: "command", exec, timeoutMs }],
    generation: ["command"],
  };
}

function imageGlob(bj: BundleJson, out: string): string {
  const image = typeof bj.verify?.image === "string" ? bj.verify.image : "{out}/**/*.png";
  return image.replaceAll("{out}", out);
}

/** The folder to start walking from: the glob's segments before the first with a wildcard. */
function literalBase(glob: string): string[] {
  const segs = glob.split("/");
  const i = segs.findIndex((s) => /[*?]/.test(s));
  return segs.slice(0, i < 0 ? segs.length - 1 : i);
}

/** Files under `root` matching `glob` ('/'-separated, relative), newest first (by modification time, then name). */
export async function newestMatches(root: string, glob: string): Promise<{ path: string; mtimeMs: number }[]> {
  const re = globToRegExp(glob);
  const found: { path: string; mtimeMs: number }[] = [];
  const walk = async (rel: string[]): Promise<void> => {
    const entries = await readdir(join(root, ...rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = [...rel, e.name];
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && re.test(p.join("/"))) found.push({ path: p.join("/"), mtimeMs: (await stat(join(root, ...p))).mtimeMs });
    }
  };
  await walk(literalBase(glob));
  return found.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.path < b.path ? 1 : -1));
}

/** The files a folder holds, for the message when none matched (a script that wrote elsewhere). */
async function listing(root: string, dir: string): Promise<string> {
  const all = await newestMatches(root, `${dir}/**`);
  if (all.length === 0) return `${dir}/ is empty`;
  return `${dir}/ holds ${all.length} file(s): ${all.slice(0, 10).map((f) => f.path).join(", ")}${all.length > 10 ? ", …" : ""}`;
}

export const commandApi: VerifyApi<"command"> = {
  name: "command",
  problems(bj) {
    const v = bj.verify ?? {};
    const out: string[] = [];
    if (!strings(v.command)?.length) out.push("verify.command is missing or not a list of strings: the command verify runs through `launcher --exec --`");
    if (v.image !== undefined && typeof v.image !== "string") out.push("verify.image is not a string (a glob relative to the bundle root)");
    return out;
  },
  plan: commandPlan,
  async image(_a, c): Promise<GeneratedImage | { error: string }> {
    const out = c.out ?? DEFAULT_OUT;
    const glob = imageGlob(c.bj, out);
    if (!c.root) return { error: "the bundle's folder is unknown, so the image cannot be looked for" };
    const matches = (await newestMatches(c.root, glob)).filter((m) => m.path.toLowerCase().endsWith(".png"));
    if (matches.length === 0) return { error: `the command exited 0 but wrote no PNG matching ${glob} (${await listing(c.root, out)})` };
    const newest = matches[0]!;
    return { png: await readFile(join(c.root, ...newest.path.split("/"))), info: { file: newest.path, matches: matches.length } };
  },
  // A script reports nothing about the GPU; the torch probe of the bundle's Python still does.
  gpu: async () => null,
};
