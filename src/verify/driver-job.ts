// The contract between `bundle verify` (outside) and its driver (inside the network namespace):
// the app runs where the network is cut off, so whatever talks to it must run there too. The
// driver is API-agnostic: it starts the launcher, waits for readiness, runs the HTTP steps it is
// given, stops the app and looks for leftovers. What the steps mean (A1111 txt2img, memory) is
// decided outside, in a1111.ts.

import type { NetAttempt } from "./netguard.ts";

export interface DriverStep {
  name: string;
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  timeoutMs: number;
  /** Where to write the response body. */
  save: string;
  /** A failed optional step does not stop the run. */
  optional?: boolean;
}

export interface DriverJob {
  /** The bundle's launcher executable. */
  launcher: string;
  /** Arguments before `--port N` (e.g. ["--no-browser"]). */
  args: string[];
  cwd: string;
  /** Extra environment for the launcher (on top of the driver's own). */
  env: Record<string, string>;
  /** The readiness URL path and how long to wait for it. */
  ready: { path: string; timeoutMs: number };
  steps: DriverStep[];
  /** How to stop the app: an HTTP call (A1111 server-stop), else the launcher's own signal handling. */
  stop: { http?: { method: "POST" | "GET"; path: string }; graceMs: number };
  /** Record network attempts: "sink" inside a namespace with an AnyIP route, "proxy" without one. */
  guard: "sink" | "proxy" | "none";
  /** Where the driver writes the launcher's output, and its result. */
  log: string;
  result: string;
}

export interface StepResult {
  name: string;
  ok: boolean;
  status?: number;
  ms: number;
  error?: string;
  bytes?: number;
}

export interface LeftoverProcess {
  pid: number;
  command: string;
}

export interface DriverResult {
  port: number;
  launcherPid: number;
  /** Milliseconds from spawning the launcher to the first HTTP 200 on the ready path; null if never. */
  readyMs: number | null;
  /** Why readiness never came: timeout, or the launcher exited. */
  readyError?: string;
  steps: StepResult[];
  stop: {
    /** "exited": the launcher had already ended by itself when the stop began (nothing was sent). */
    method: "http" | "signal" | "none" | "exited";
    /** Signals that had to be sent after the requested stop did not end the launcher in time. */
    escalation: string[];
    ms: number;
    exitCode: number | null;
    exitSignal: string | null;
  };
  /** Processes of the run still alive after the launcher exited (they were then killed). */
  leftovers: LeftoverProcess[];
  /** How leftovers were looked for: every process of a PID namespace, or the run's marker. */
  leftoverScan: "pid-namespace" | "marker" | "unavailable";
  portClosed: boolean;
  attempts: NetAttempt[];
  /** Set when the driver itself failed. */
  error?: string;
}

/** The environment variable every process of one verify run inherits (the marker scan looks for it). */
export const RUN_MARKER = "GREENBUNDLE_VERIFY_RUN";
