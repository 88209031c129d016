// Booting the copy: write the driver's job, run the driver with this very
// node binary under the chosen isolation, and read its result. The outer time limit is a safety
// net above the driver's own (readiness + generation + stop): if it fires, killing `unshare`
// kills the namespace's PID 1 and with it every process of the run (--kill-child).

import { spawn } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BundleError } from "../core/errors.ts";
import type { DriverJob, DriverResult } from "./driver-job.ts";
import { isolatedCommand, type Isolation } from "./isolation.ts";

/** The driver's entry file next to this module (.ts in a checkout, .js in a published build). */
export function driverEntry(): string {
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  return fileURLToPath(new URL(`./driver-main.${ext}`, import.meta.url));
}

export interface BootInput {
  job: Omit<DriverJob, "log" | "result">;
  iso: Isolation;
  /** Folder for the job, the result, the app log and the API answers (outside the bundle). */
  dir: string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export interface BootOutput {
  result: DriverResult;
  log: string;
  /** The driver's own stderr, for diagnosing the driver itself. */
  driverLog: string;
}

export async function boot(input: BootInput): Promise<BootOutput> {
  await mkdir(input.dir, { recursive: true });
  const job: DriverJob = { ...input.job, log: join(input.dir, "app.log"), result: join(input.dir, "result.json") };
  const jobFile = join(input.dir, "job.json");
  await writeFile(jobFile, JSON.stringify(job, null, 2));
  await writeFile(job.log, "");
  const driverLog = join(input.dir, "driver.log");
  const cmd = isolatedCommand(input.iso, [process.execPath, "--disable-warning=ExperimentalWarning", driverEntry(), jobFile]);
  const stepsMs = job.steps.reduce((n, s) => n + s.timeoutMs, 0);
  const limitMs = job.ready.timeoutMs + stepsMs + 3 * job.stop.graceMs + 60_000;
  const fd = openSync(driverLog, "w");
  const code = await new Promise<number | string>((resolve) => {
    const p = spawn(cmd.file, cmd.args, { cwd: job.cwd, env: input.env, stdio: ["ignore", fd, fd] });
    // In a PID namespace, SIGKILL to `unshare` (which ignores SIGTERM) takes the whole namespace
    // down (--kill-child). Elsewhere SIGTERM first: the driver then stops the launcher's processes.
    const kill = () => {
      if (input.iso.method === "netns" && input.iso.pidns) return void p.kill("SIGKILL");
      p.kill("SIGTERM");
      setTimeout(() => p.kill("SIGKILL"), 5000).unref();
    };
    const timer = setTimeout(kill, limitMs);
    input.signal?.addEventListener("abort", kill, { once: true });
    p.once("error", (e) => resolve(e.message));
    p.once("exit", (c, s) => {
      clearTimeout(timer);
      input.signal?.removeEventListener("abort", kill);
      resolve(s ?? c ?? -1);
    });
  });
  closeSync(fd);
  input.signal?.throwIfAborted();
  const text = await readFile(driverLog, "utf8");
  const raw = await readFile(job.result, "utf8").catch(() => undefined);
  if (raw === undefined) {
    const why = code === 97 || code === 98 ? "the network namespace could not be set up" : `the driver ended with ${code} and wrote no result`;
    throw new BundleError("VERIFY", `could not boot the bundle: ${why}`, {
      hint: `driver output: ${text.trim().split("\n").slice(-5).join(" | ") || "(none)"}`,
      details: { driverLog },
    });
  }
  return { result: JSON.parse(raw) as DriverResult, log: await readFile(job.log, "utf8"), driverLog: text };
}
