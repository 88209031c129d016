// The contract between `bundle verify` (outside) and its driver (inside the network namespace):
// the app runs where the network is cut off, so whatever talks to it must run there too. The
// driver is API-agnostic: it starts the launcher, waits for readiness, runs the HTTP steps it is
// given (driver-steps.ts), stops the app and looks for leftovers. What the steps mean is decided
// outside, by the app's entry in the verify API registry (apis.ts). Everything here is JSON.

import type { NetAttempt } from "./netguard.ts";

/**
 * A place in a JSON answer: object keys and list indexes, in order. A key "*" stands for the
 * first member (of an object or a list) under which the rest of the path exists; a key written
 * "{name}" is the value an earlier step captured as `name`.
 */
export type JsonPath = readonly (string | number)[];

/** A test on a JSON answer: the value at `path` equals `equals`, or (`present`) exists and is not null, "", [] or {}. */
export type StepCondition = { path: JsonPath; equals: unknown } | { path: JsonPath; present: true };

/**
 * One HTTP exchange with the app, described as data: the job crosses a process boundary into the
 * network namespace. A step may ask again until a condition holds (polling), fail at once on an
 * answer that says the work failed, and capture values from its answer for later steps: in a
 * later `path`, "{name}" is replaced by the value (URL-encoded); in a later `body`, an object
 * `{"$value": "name"}` is replaced by the value itself.
 */
export interface HttpStep {
  name: string;
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  /** For one request; for a polling step, for all its requests together. */
  timeoutMs: number;
  /** Where to write the (last) answer's body. */
  save: string;
  /** A failed optional step does not stop the run. */
  optional?: boolean;
  /** Ask again every `everyMs` until `until` holds on the JSON answer (or the time is up). */
  poll?: { until: StepCondition; everyMs: number };
  /** Checked on every answer: the step fails with `error` (and the value at `quote`, when given). */
  failWhen?: { when: StepCondition; error: string; quote?: JsonPath }[];
  /** Values taken from the last answer for later steps; a value that is not there fails the step. */
  capture?: Record<string, JsonPath>;
}

/**
 * One command run through the bundle's launcher as `launcher --exec -- <exec…>` (a script app,
 * which is no server): the step passes when the command exits 0 within `timeoutMs`. Its output
 * goes to the run's log; `save` receives {code, signal} as JSON.
 */
export interface ExecStep {
  name: string;
  /** The program and its arguments; the launcher fills its placeholders ({python}, {bundle}…). */
  exec: string[];
  timeoutMs: number;
  save: string;
  optional?: boolean;
}

export type DriverStep = HttpStep | ExecStep;

export function isExecStep(s: { name: string } & ({ exec: string[] } | { method: string })): s is ExecStep {
  return "exec" in s;
}

export interface DriverJob {
  /** The bundle's launcher executable. */
  launcher: string;
  /**
   * false: the app is no server — nothing is started, readiness and stop do not apply, and the
   * steps run commands through the launcher (exec steps). Default: the launcher starts a server.
   */
  server?: false;
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
  /** Requests made (more than one when the step polls). */
  requests?: number;
  /** What the step captured for later steps. */
  values?: Record<string, unknown>;
  /** Exec steps: how the command ended (null when it had to be stopped or never started). */
  exitCode?: number | null;
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

/**
 * The app's environment: the driver's, less what would hide a first launch's writes. An end
 * user's machine does not set PYTHONDONTWRITEBYTECODE or PYTHONPYCACHEPREFIX; with either one
 * inherited from the builder's shell, the interpreter would write no bytecode into the bundle
 * and verify would count none, whatever the bundle ships.
 */
export function appEnv(...layers: (NodeJS.ProcessEnv | undefined)[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.assign({}, process.env, ...layers);
  delete env.PYTHONDONTWRITEBYTECODE;
  delete env.PYTHONPYCACHEPREFIX;
  return env;
}
