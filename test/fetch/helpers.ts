// Shared pieces of the fetch and cache tests: a loopback file server per test file, fetch options
// with a fresh session and tiny backoff (no wall-clock waits), and small recipes pointing at it.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll } from "vitest";
import { collector, type BundleEvent } from "../../src/core/events.ts";
import { generatedFile, sha256Of, type GeneratedBody } from "../../src/demo/generated.ts";
import { startFileServer, type FileServer, type FileServerOptions } from "../../src/demo/http-server.ts";
import { FetchSession } from "../../src/fetch/session.ts";
import type { FetchOptions } from "../../src/fetch/types.ts";

export { generatedFile, sha256Of };

export async function server(opts: FileServerOptions = {}): Promise<FileServer> {
  const s = await startFileServer(opts);
  afterAll(() => s.close());
  return s;
}

/** Options for one fetch call: its own session (no demotions leak between tests), millisecond backoff. */
export function options(cacheDir: string, extra: Partial<FetchOptions> = {}): FetchOptions & { events: BundleEvent[] } {
  const { emit, events } = collector();
  const session = new FetchSession();
  afterAll(() => session.close());
  return { cacheDir, emit, session, backoff: { minMs: 1, maxMs: 5, factor: 2 }, env: {}, ...extra, events };
}

export function file(size: number, seed: number): GeneratedBody & { sha256: string } {
  const f = generatedFile(size, seed);
  sha256Of(f);
  return f as GeneratedBody & { sha256: string };
}

/** The events of one type, typed. */
export function eventsOf<T extends BundleEvent["type"]>(events: BundleEvent[], type: T): Extract<BundleEvent, { type: T }>[] {
  return events.filter((e) => e.type === type) as Extract<BundleEvent, { type: T }>[];
}

export interface RecipeFile {
  path: string;
  urls: string[];
  sha256: string;
  size?: number;
  /** Inline content instead of a URL. */
  text?: string;
}

/**
 * A minimal linux-x64 recipe whose python, node and files come from `base` mirror list `m`
 * (several base URLs → several mirrors). Returns the recipe path.
 */
export async function writeRecipe(dir: string, m: string[], art: { python: RecipeFile; node: RecipeFile; files?: RecipeFile[]; extra?: string[] }): Promise<string> {
  const item = (f: RecipeFile) => `{ url: ${f.urls[0]}, sha256: ${f.sha256}${f.size !== undefined ? `, size: ${f.size}` : ""} }`;
  const lines = [
    "recipe: 1",
    "name: fetch-test",
    "version: 1.0.0",
    "platforms: [linux-x64]",
    "mirrors:",
    `  m: [${m.join(", ")}]`,
    "python:",
    "  version: 3.10.6",
    `  linux-x64: ${item(art.python)}`,
    ...(art.files?.length ? ["files:", ...art.files.flatMap((f) => (f.text !== undefined ? [`  - path: ${f.path}`, `    text: ${JSON.stringify(f.text)}`] : [`  - path: ${f.path}`, `    url: ${f.urls[0]}`, `    sha256: ${f.sha256}`, ...(f.size !== undefined ? [`    size: ${f.size}`] : [])]))] : []),
    "launcher:",
    "  node:",
    `    linux-x64: ${item(art.node)}`,
    '  command: ["{python}", "app.py", "--port", "{port}"]',
    "  ready: /health",
    ...(art.extra ?? []),
  ];
  const path = join(dir, "recipe.yml");
  await writeFile(path, lines.join("\n") + "\n");
  return path;
}
