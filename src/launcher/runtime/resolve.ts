// Turning bundle.json's relative launcher settings into absolute paths and a command line for
// this run (placeholders {bundle} {python} {git} {port}).

import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import type { LauncherConfig } from "../../contract/bundle-json.ts";
import { fillPlaceholders, type Placeholders } from "./env.ts";

export interface Resolved {
  python: string;
  /** The bundled git, else the git found on PATH, else plain "git". */
  git: string;
  /** Folders to put first on PATH. */
  pathFirst: string[];
  repos: string[];
  cwd: string;
}

/** The first `git` on PATH (the recipe has no git for this platform). */
function gitOnPath(env: Record<string, string | undefined>, windows: boolean): string {
  const pathVar = windows ? Object.entries(env).find(([k]) => k.toUpperCase() === "PATH")?.[1] : env.PATH;
  for (const dir of (pathVar ?? "").split(windows ? ";" : delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, windows ? "git.exe" : "git");
    if (existsSync(candidate)) return candidate;
  }
  return "git";
}

export function resolveLauncher(root: string, l: LauncherConfig, env: Record<string, string | undefined>, windows: boolean): Resolved {
  const python = join(root, l.python);
  const pathFirst = [dirname(python)];
  // Windows' embeddable Python keeps console scripts (pip.exe, ...) in Scripts\ beside it.
  if (windows) pathFirst.push(join(dirname(python), "Scripts"));
  let git: string;
  if (l.git) {
    git = join(root, l.git);
    pathFirst.push(dirname(git));
  } else git = gitOnPath(env, windows);
  return { python, git, pathFirst, repos: l.repos.map((r) => join(root, r)), cwd: join(root, l.cwd) };
}

export function placeholders(root: string, r: Resolved, port: number): Placeholders {
  return { bundle: root, python: r.python, git: r.git, port: String(port) };
}

/** The app's command: the recipe's command with placeholders filled, then GPU args, then user args. */
export function commandLine(l: LauncherConfig, p: Placeholders, gpuArgs: string[], userArgs: string[]): { file: string; args: string[] } {
  const [file, ...args] = l.command.map((s) => fillPlaceholders(s, p));
  return { file: file!, args: [...args, ...gpuArgs, ...userArgs] };
}
