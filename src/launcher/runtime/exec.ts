// `launcher --exec -- <program> [args…]` and `launcher --shell`: one command, or an interactive
// console, with the bundle's environment — the bundled Python and Git first on PATH, the recipe's
// env, placeholders filled, in the app's working folder — what a 整合包 启动器's "命令行" button
// gives users (`python -m pip list`, a script of their own), and how `bundle verify` runs a
// script app. No app is started, nothing is logged: the command owns the console, and its exit
// code becomes the launcher's.

import { spawn } from "node:child_process";
import { constants } from "node:os";
import { buildEnv, fillPlaceholders } from "./env.ts";
import { msg, type Lang } from "./i18n.ts";
import { findFreePort } from "./port.ts";
import { placeholders, type Resolved } from "./resolve.ts";
import type { LoadedBundle } from "./config.ts";

export interface ExecContext {
  lang: Lang;
  root: string;
  windows: boolean;
  bundle: LoadedBundle;
  resolved: Resolved;
  /** The program and its arguments (--exec), or none for --shell. */
  command: string[];
  env: NodeJS.ProcessEnv;
  /** Where the launcher's own messages go (stderr: stdout belongs to the command). */
  say: (line: string) => void;
}

/** The interactive shell of this host: cmd.exe (COMSPEC) on Windows, $SHELL or /bin/sh elsewhere. */
export function shellProgram(windows: boolean, env: NodeJS.ProcessEnv): string {
  if (windows) return env.ComSpec || env.COMSPEC || "cmd.exe";
  return env.SHELL || "/bin/sh";
}

/** {port} is a free port from the configured one, looked for only when something uses it. */
async function portFor(c: ExecContext, strings: readonly string[]): Promise<string> {
  const start = c.bundle.launcher.port;
  if (!strings.some((s) => s.includes("{port}"))) return String(start);
  return String((await findFreePort(start)) ?? start);
}

function exitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? (constants.signals as Record<string, number>)[signal] : undefined;
  return n ? 128 + n : 1;
}

/** Runs the command (or the shell) to its end; resolves with the exit code to pass on. */
export async function runExec(c: ExecContext): Promise<number> {
  const { launcher } = c.bundle;
  const shell = c.command.length === 0;
  const port = await portFor(c, [...c.command, ...Object.values(launcher.env)]);
  const ph = placeholders(c.root, c.resolved, Number(port));
  const env = buildEnv({ inherited: c.env, windows: c.windows, placeholders: ph, pathFirst: c.resolved.pathFirst, repos: c.resolved.repos, pipIndexUrl: launcher.pipIndexUrl, recipeEnv: launcher.env });
  const [file, ...args] = shell ? [shellProgram(c.windows, c.env)] : c.command.map((s) => fillPlaceholders(s, ph));
  if (shell) {
    c.say(msg(c.lang, "shellStart", { title: launcher.title, python: c.resolved.python, cwd: c.resolved.cwd }));
    // cmd.exe shows the bundle in its prompt, so that this window is told apart from others
    // (Windows names are case-insensitive: one PROMPT, whatever the user's spelling).
    if (c.windows) {
      for (const k of Object.keys(env)) if (k.toUpperCase() === "PROMPT") delete env[k];
      env.PROMPT = `[${launcher.title}] $P$G`;
    }
  }
  return new Promise<number>((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      // Same console, same process group: Ctrl+C reaches the command directly, as in a shell.
      child = spawn(file!, args, { cwd: c.resolved.cwd, env, stdio: "inherit", windowsHide: false });
    } catch (e) {
      // e.g. EINVAL: Windows runs .bat/.cmd files only through cmd.exe (--exec -- cmd /c x.bat)
      c.say(msg(c.lang, "spawnFailed", { cmd: file!, error: e instanceof Error ? e.message : String(e) }));
      return resolve(127);
    }
    // The launcher outlives the command's own handling of Ctrl+C; a stop sent to the launcher
    // alone (a service manager, `bundle verify`'s timeout) is passed on.
    const onInt = (): void => {};
    const onTerm = (sig: NodeJS.Signals): void => void child.kill(sig);
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    process.on("SIGHUP", onTerm);
    const done = (code: number): void => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      process.off("SIGHUP", onTerm);
      resolve(code);
    };
    child.once("error", (e) => {
      c.say(msg(c.lang, "spawnFailed", { cmd: file!, error: e.message }));
      done(127);
    });
    child.once("exit", (code, signal) => done(exitCode(code, signal)));
  });
}
