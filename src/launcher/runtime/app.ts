// The app as a process tree: started with its output piped to us,
// and stopped as a whole. On Linux the app leads its own process group (detached → setsid), so
// the group can be signalled and nothing it started survives; on Windows `taskkill /T /F`
// walks the tree while the app's root process is alive.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";

export interface AppExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  error?: Error;
}

export interface AppOptions {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  windows: boolean;
  onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void;
  /** How long the app gets after the first stop request before it is killed (ms). */
  graceMs?: number;
}

export interface RunningApp {
  readonly pid: number | undefined;
  readonly exited: Promise<AppExit>;
  /** First call asks the app to stop, and kills it after the grace period; a second call kills now. */
  stop(): void;
  /** Kills whatever is left of the tree, synchronously (also used from process 'exit'). */
  killTree(): void;
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // ESRCH: the group is already empty.
  }
}

function taskkill(pid: number): void {
  spawnSync("taskkill", ["/PID", String(pid), "/T", "/F"], { stdio: "ignore", windowsHide: true });
}

/** Resolves when the app has exited and its output is drained (or after 2 s of waiting for it). */
function whenDone(child: ChildProcess, windows: boolean, onExit: () => void): Promise<AppExit> {
  return new Promise<AppExit>((resolve) => {
    child.once("error", (error) => {
      onExit();
      resolve({ code: null, signal: null, error });
    });
    child.once("exit", (code, signal) => {
      onExit();
      // What the app started and left behind goes too (POSIX: the rest of its group). Those
      // processes may hold our pipes open, so wait for the last output only briefly.
      if (!windows && child.pid !== undefined) signalGroup(child.pid, "SIGKILL");
      const last = setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        resolve({ code, signal });
      }, 2000);
      child.once("close", () => {
        clearTimeout(last);
        resolve({ code, signal });
      });
    });
  });
}

export function startApp(o: AppOptions): RunningApp {
  let alive = true;
  let stops = 0;
  let timer: NodeJS.Timeout | undefined;
  let child: ChildProcess;
  try {
    child = spawn(o.file, o.args, {
      cwd: o.cwd,
      env: o.env,
      stdio: ["ignore", "pipe", "pipe"],
      // POSIX: a new session and process group led by the app. Windows: detached would give the
      // app a console of its own; it stays in ours so Ctrl+C reaches it directly.
      detached: !o.windows,
      windowsHide: false,
    });
  } catch (e) {
    // e.g. EINVAL: Windows refuses .bat/.cmd files without a shell.
    const error = e instanceof Error ? e : new Error(String(e));
    return { pid: undefined, exited: Promise.resolve({ code: null, signal: null, error }), stop: () => {}, killTree: () => {} };
  }
  child.stdout!.on("data", (b: Buffer) => o.onOutput(b, "stdout"));
  child.stderr!.on("data", (b: Buffer) => o.onOutput(b, "stderr"));
  const exited = whenDone(child, o.windows, () => {
    alive = false;
    if (timer) clearTimeout(timer);
  });
  const killTree = (): void => {
    const pid = child.pid;
    if (pid === undefined) return;
    if (o.windows) {
      if (alive) taskkill(pid);
    } else signalGroup(pid, "SIGKILL");
  };
  const stop = (): void => {
    const pid = child.pid;
    if (pid === undefined) return;
    if (++stops > 1) return killTree();
    // Windows: the console already delivered Ctrl+C to the app; POSIX: it is in its own
    // session, so forward the interrupt to its whole group as the terminal would have.
    if (!o.windows) signalGroup(pid, "SIGINT");
    timer = setTimeout(killTree, o.graceMs ?? 10_000);
    timer.unref();
  };
  return { pid: child.pid, exited, stop, killTree };
}
