// The verify driver: a small Node program that `bundle verify` runs inside the network namespace
// (with the same node binary), because the app it boots listens on the namespace's loopback.
// Usage: node driver-main.ts <job.json>. It never throws past main(): every outcome lands in the
// result file, which the verifier outside reads (driver-job.ts has the contract).

import { spawn, type ChildProcess } from "node:child_process";
import { openSync, readFileSync, closeSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect, createServer } from "node:net";
import { randomBytes } from "node:crypto";
import { startRefusingProxy, startSink, type Guard } from "./netguard.ts";
import { appEnv, RUN_MARKER, type DriverJob, type DriverResult } from "./driver-job.ts";
import { runSteps, type HttpAnswer } from "./driver-steps.ts";
import { driveCommands } from "./driver-exec.ts";
import { listProcesses, waitForExit, type Exit } from "./procs.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function httpCall(port: number, method: string, path: string, body: unknown, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      { host: "127.0.0.1", port, method, path, agent: false, headers: payload ? { "content-type": "application/json", "content-length": payload.length } : {} },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
        res.on("error", reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** A port that is free now (the launcher still takes the first free one from it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.setTimeout(2000, () => (s.destroy(), resolve(true))); // a port that does not refuse is held by someone
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

async function waitReady(job: DriverJob, port: number, exit: Promise<Exit>): Promise<{ ms: number | null; error?: string }> {
  const start = Date.now();
  let exited: Exit | undefined;
  void exit.then((e) => (exited = e));
  let last = "no answer yet";
  while (Date.now() - start < job.ready.timeoutMs) {
    if (exited) return { ms: null, error: `the launcher exited before the app was ready (${exited.signal ?? `exit code ${exited.code}`})` };
    try {
      const r = await httpCall(port, "GET", job.ready.path, undefined, 5000);
      if (r.status === 200) return { ms: Date.now() - start };
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(250);
  }
  return { ms: null, error: `not ready within ${Math.round(job.ready.timeoutMs / 1000)} s (GET ${job.ready.path}: ${last})` };
}

async function stopApp(job: DriverJob, child: ChildProcess, port: number, exit: Promise<Exit>): Promise<DriverResult["stop"]> {
  const t = Date.now();
  const escalation: string[] = [];
  let method: "http" | "signal" = "signal";
  const done = (ms: number) => Promise.race([exit, sleep(ms).then(() => undefined)]);
  let result = await done(0);
  if (result) return { method: "exited", escalation, ms: 0, exitCode: result.code ?? null, exitSignal: result.signal ?? null };
  if (job.stop.http) {
    method = "http";
    // the app may drop the connection while it shuts down: that is an answer too
    await httpCall(port, job.stop.http.method, job.stop.http.path, undefined, 5000).catch(() => undefined);
    result = await done(job.stop.graceMs);
  }
  for (const [sig, wait, group] of [["SIGINT", job.stop.graceMs, false], ["SIGTERM", 5000, true], ["SIGKILL", 5000, true]] as const) {
    if (result) break;
    if (method === "http" || sig !== "SIGINT") escalation.push(sig);
    try {
      process.kill(group ? -child.pid! : child.pid!, sig);
    } catch {
      /* already gone */
    }
    result = await done(wait);
  }
  return { method, escalation, ms: Date.now() - t, exitCode: result?.code ?? null, exitSignal: result?.signal ?? null };
}

async function drive(job: DriverJob, marker: string): Promise<DriverResult> {
  const port = await freePort();
  let guard: Guard | undefined;
  if (job.guard === "sink") guard = await startSink(port);
  else if (job.guard === "proxy") guard = await startRefusingProxy();
  if (job.server === false) return driveCommands(job, marker, guard);
  const logFd = openSync(job.log, "a");
  const child = spawn(job.launcher, [...job.args, "--port", String(port)], {
    cwd: job.cwd,
    env: appEnv(guard?.env, job.env, { [RUN_MARKER]: marker }),
    stdio: ["ignore", logFd, logFd],
    detached: true, // its own process group: the fallback stop and the leftover scan use it
  });
  closeSync(logFd);
  const exit = waitForExit(child);
  const spawnError = await Promise.race([new Promise<Error>((r) => child.once("error", r)), sleep(50).then(() => undefined)]);
  const base = { port, launcherPid: child.pid ?? -1, attempts: guard?.attempts ?? [] };
  if (spawnError || child.pid === undefined) {
    await guard?.close();
    const stop = { method: "none" as const, escalation: [], ms: 0, exitCode: null, exitSignal: null };
    return { ...base, readyMs: null, readyError: `the launcher did not start: ${spawnError?.message ?? "no pid"}`, steps: [], stop, leftovers: [], leftoverScan: "unavailable", portClosed: true };
  }
  const ready = await waitReady(job, port, exit);
  const steps = ready.ms === null ? [] : await runSteps(job.steps, (method, path, body, timeoutMs) => httpCall(port, method, path, body, timeoutMs));
  const stop = await stopApp(job, child, port, exit);
  const { leftovers, scan } = await listProcesses({ marker, pgid: child.pid, settleMs: 3000, kill: true });
  const portClosed = !(await portOpen(port));
  await guard?.close();
  return { ...base, readyMs: ready.ms, ...(ready.error ? { readyError: ready.error } : {}), steps, stop, leftovers, leftoverScan: scan, portClosed };
}

/** The driver program: reads the job, drives, writes the result, exits. driver-main.ts calls it. */
export async function main(jobFile: string): Promise<never> {
  const job = JSON.parse(readFileSync(jobFile, "utf8")) as DriverJob;
  const marker = randomBytes(8).toString("hex");
  // Ctrl+C on `bundle verify` (or its timeout) must not leave the app running
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      void listProcesses({ marker, pgid: undefined, settleMs: 0, kill: true }).finally(() => process.exit(130));
    });
  }
  let result: DriverResult;
  try {
    result = await drive(job, marker);
  } catch (e) {
    const stop = { method: "none" as const, escalation: [], ms: 0, exitCode: null, exitSignal: null };
    result = { port: 0, launcherPid: -1, readyMs: null, steps: [], stop, leftovers: [], leftoverScan: "unavailable", portClosed: true, attempts: [], error: (e as Error).stack ?? String(e) };
  }
  writeFileSync(job.result, JSON.stringify(result, null, 2));
  process.exit(0);
}
