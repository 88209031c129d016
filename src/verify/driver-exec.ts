// The driver's side of a script app (a job with `server: false`): each exec step runs
// `launcher --exec -- <args…>` inside the network namespace, with the run's marker and the
// network guard's environment, its output appended to the app log, and waits for it to end. A
// command still running when its time is up is asked to stop (SIGTERM to the launcher, which
// passes it on), then its whole process group is ended. Nothing listens, so there is no
// readiness, no stop of a server and no port to check.

import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { appEnv, RUN_MARKER, type DriverJob, type DriverResult } from "./driver-job.ts";
import { runSteps, type ExecCall, type ExecEnd, type HttpCall } from "./driver-steps.ts";
import type { Guard } from "./netguard.ts";
import { listProcesses, waitForExit, type Exit } from "./procs.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function signalGroup(pid: number, sig: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, sig);
  } catch {
    /* already gone */
  }
}

interface Latest {
  /** The launcher (and process group) of the latest command. */
  pid?: number;
  end?: ExecEnd;
}

/** Runs commands through the job's launcher; `last` keeps the latest one's process group and end. */
function execCall(job: DriverJob, marker: string, guard: Guard | undefined, last: Latest): ExecCall {
  return async (args, timeoutMs): Promise<ExecEnd> => {
    const t = Date.now();
    const logFd = openSync(job.log, "a");
    const child = spawn(job.launcher, ["--exec", "--", ...args], {
      cwd: job.cwd,
      env: appEnv(guard?.env, job.env, { [RUN_MARKER]: marker }),
      stdio: ["ignore", logFd, logFd],
      detached: true, // its own process group: what the command leaves behind can be found and ended
    });
    closeSync(logFd);
    const exit = waitForExit(child);
    const started = await Promise.race([new Promise<Error>((r) => child.once("error", r)), sleep(50).then(() => undefined)]);
    if (started || child.pid === undefined) return { code: null, signal: null, timedOut: false, escalation: [], ms: Date.now() - t, error: started?.message ?? "no pid" };
    last.pid = child.pid;
    const within = (ms: number) => Promise.race([exit, sleep(ms).then(() => undefined)]);
    let end: Exit | undefined = await within(timeoutMs);
    const escalation: string[] = [];
    // Time is up: the launcher passes SIGTERM on to the command; then the group, then SIGKILL.
    for (const [sig, wait, group] of [["SIGTERM", job.stop.graceMs, false], ["SIGTERM", 5000, true], ["SIGKILL", 5000, true]] as const) {
      if (end) break;
      escalation.push(group ? `${sig} to its process group` : sig);
      signalGroup(child.pid, sig, group);
      end = await within(wait);
    }
    return (last.end = { code: end?.code ?? null, signal: end?.signal ?? null, timedOut: escalation.length > 0, escalation, ms: Date.now() - t });
  };
}

/** Runs a script app's steps and says how its last command ended, as a stop would be reported. */
export async function driveCommands(job: DriverJob, marker: string, guard: Guard | undefined): Promise<DriverResult> {
  const last: Latest = {};
  const noServer: HttpCall = () => Promise.reject(new Error("a script app answers no HTTP requests"));
  const steps = await runSteps(job.steps, noServer, execCall(job, marker, guard, last));
  const { leftovers, scan } = await listProcesses({ marker, pgid: last.pid, settleMs: 3000, kill: true });
  await guard?.close();
  const end = last.end;
  const stop: DriverResult["stop"] = {
    // "exited": the command ended by itself; "signal": it had to be stopped when its time was up
    method: last.pid === undefined || !end ? "none" : end.timedOut ? "signal" : "exited",
    escalation: end?.escalation ?? [],
    ms: end?.ms ?? 0,
    exitCode: end?.code ?? null,
    exitSignal: end?.signal ?? null,
  };
  return { port: 0, launcherPid: last.pid ?? -1, readyMs: null, steps, stop, leftovers, leftoverScan: scan, portClosed: true, attempts: guard?.attempts ?? [] };
}
