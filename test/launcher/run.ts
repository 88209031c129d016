// Running a built launcher in tests: its output captured, readiness taken from its "Ready:" line,
// and the processes it started found again in /proc afterwards.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface Launched {
  child: ChildProcess;
  /** The URL the launcher announced as ready. */
  ready: Promise<string>;
  output(): string;
  /** The pids the stand-in app wrote (app, its process group, its child). */
  pids(): Promise<{ app: number; pgid: number; child: number }>;
}

function launcherEnv(exe: string, env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, LANG: "C.UTF-8", LC_ALL: "", LC_MESSAGES: "", FIXTURE_PIDS: join(dirname(exe), "..", "pids.json"), ...env };
}

export function startLauncher(exe: string, args: string[], env: Record<string, string> = {}): Launched {
  const child = spawn(exe, args, { env: launcherEnv(exe, env), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`launcher not ready after 60 s:\n${out}`)), 60_000);
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /Ready: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`launcher exited (${code}) before it was ready:\n${out}`));
    });
  });
  ready.catch(() => {});
  const pidsFile = join(dirname(exe), "..", "pids.json");
  return { child, ready, output: () => out, pids: async () => JSON.parse(await readFile(pidsFile, "utf8")) };
}

/** Resolves with the exit code (128 + signal number when killed by a signal). */
export function exited(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const done = (): void => resolve(child.exitCode ?? 128 + (child.signalCode === "SIGKILL" ? 9 : 15));
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once("exit", done);
  });
}

export async function runLauncher(exe: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(exe, args, { env: launcherEnv(exe, env), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number>((resolve) => child.once("close", (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

/** Processes still alive from a run: the app, its child, and anything left in the app's process group. */
export async function leftovers(p: { app: number; pgid: number; child: number }): Promise<number[]> {
  // The group is killed when the app exits; give the kernel a moment to reap.
  for (let i = 0; i < 50; i++) {
    const alive = scan(p);
    if (alive.length === 0) return [];
    await new Promise((r) => setTimeout(r, 100));
  }
  return scan(p);
}

function scan(p: { app: number; pgid: number; child: number }): number[] {
  const alive = new Set<number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "latin1");
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = fields[0];
    const pgrp = Number(fields[2]);
    const pid = Number(name);
    if (state === "Z") continue; // a zombie is already dead, waiting for its parent to reap it
    if (pid === p.app || pid === p.child || pgrp === p.pgid) alive.add(pid);
  }
  for (const pid of [p.app, p.child]) if (!existsSync(`/proc/${pid}`)) alive.delete(pid);
  return [...alive].sort();
}
