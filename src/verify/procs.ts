// "Nothing is left running", checked from the inside. In a PID namespace the
// driver is PID 1 and every other live process belongs to the run; elsewhere the run's processes
// are the ones that inherited its marker variable or stayed in the launcher's process group.
// Reads /proc (Linux); where there is none the scan says so instead of guessing.

import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { RUN_MARKER, type LeftoverProcess } from "./driver-job.ts";

export interface Exit {
  code: number | null;
  signal: string | null;
}

export function waitForExit(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => resolve({ code, signal }));
  });
}

interface ProcInfo {
  pid: number;
  state: string;
  pgrp: number;
}

/** Parses /proc/<pid>/stat: "pid (comm) state ppid pgrp …" — comm may hold spaces and parentheses. */
export function parseStat(text: string): ProcInfo | undefined {
  const close = text.lastIndexOf(")");
  const pid = Number.parseInt(text, 10);
  if (close < 0 || Number.isNaN(pid)) return undefined;
  const rest = text.slice(close + 2).split(" ");
  return { pid, state: rest[0] ?? "?", pgrp: Number(rest[2]) };
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string {
  const cmd = read(`/proc/${pid}/cmdline`);
  return cmd ? cmd.replace(/\0+$/, "").split("\0").join(" ") : `(pid ${pid})`;
}

type Scan = "pid-namespace" | "marker" | "unavailable";

function runProcesses(marker: string, pgid: number | undefined): { scan: Scan; pids: number[] } {
  if (!existsSync("/proc/self/stat")) return { scan: "unavailable", pids: [] };
  const inNamespace = process.pid === 1;
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const info = parseStat(read(`/proc/${pid}/stat`) ?? "");
    if (!info || info.state === "Z" || info.state === "X") continue; // dead, waiting to be reaped
    if (inNamespace || info.pgrp === pgid || (read(`/proc/${pid}/environ`) ?? "").includes(`${RUN_MARKER}=${marker}\0`)) pids.push(pid);
  }
  return { scan: inNamespace ? "pid-namespace" : "marker", pids };
}

/** The run's processes still alive after `settleMs`; with `kill`, they are then killed. */
export async function listProcesses(opts: { marker: string; pgid: number | undefined; settleMs: number; kill: boolean }): Promise<{ scan: Scan; leftovers: LeftoverProcess[] }> {
  const deadline = Date.now() + opts.settleMs;
  let found = runProcesses(opts.marker, opts.pgid);
  while (found.pids.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    found = runProcesses(opts.marker, opts.pgid);
  }
  const leftovers = found.pids.map((pid) => ({ pid, command: commandOf(pid) }));
  if (opts.kill) {
    for (const { pid } of leftovers) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone meanwhile */
      }
    }
  }
  return { scan: found.scan, leftovers };
}
