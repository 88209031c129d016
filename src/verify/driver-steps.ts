// Running the driver's steps (driver-job.ts describes them): one request, or a request
// repeated until a condition holds on its JSON answer; answers that say the work failed end the
// step at once; values captured from one answer fill later paths and bodies. A step may instead
// run a command through the launcher (a script app). Runs inside the network namespace, talking
// to the app through `call` and running commands through `exec`; Node built-ins only.

import { writeFileSync } from "node:fs";
import { isExecStep, type DriverStep, type ExecStep, type HttpStep, type JsonPath, type StepCondition, type StepResult } from "./driver-job.ts";

export interface HttpAnswer {
  status: number;
  body: Buffer;
}

/** One HTTP request to the app; rejects when there is no answer within `timeoutMs`. */
export type HttpCall = (method: HttpStep["method"], path: string, body: unknown, timeoutMs: number) => Promise<HttpAnswer>;

/** How a command run through the launcher ended. */
export interface ExecEnd {
  code: number | null;
  signal: string | null;
  /** It was still running when its time was up, and was stopped with these signals. */
  timedOut: boolean;
  escalation: string[];
  ms: number;
  /** It could not be started. */
  error?: string;
}

/** Runs one command (`launcher --exec -- <args…>`) to its end, stopping it when its time is up. */
export type ExecCall = (args: readonly string[], timeoutMs: number) => Promise<ExecEnd>;

export type Values = ReadonlyMap<string, unknown>;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE_PLACEHOLDER = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** A step that cannot go on; its message becomes the step's error. */
class StepFailure extends Error {}

function captured(values: Values, name: string): unknown {
  if (!values.has(name)) throw new StepFailure(`no earlier step captured a value named "${name}"`);
  return values.get(name);
}

/** `path` with every "{name}" replaced by the captured value, URL-encoded. */
export function fillPath(path: string, values: Values): string {
  return path.replace(PLACEHOLDER, (_, name: string) => encodeURIComponent(String(captured(values, name))));
}

/** `body` with every `{"$value": "name"}` object replaced by the captured value itself. */
export function fillBody(body: unknown, values: Values): unknown {
  if (Array.isArray(body)) return body.map((b) => fillBody(b, values));
  if (typeof body !== "object" || body === null) return body;
  const keys = Object.keys(body);
  const ref = (body as Record<string, unknown>).$value;
  if (keys.length === 1 && typeof ref === "string") return captured(values, ref);
  return Object.fromEntries(keys.map((k) => [k, fillBody((body as Record<string, unknown>)[k], values)]));
}

function fillJsonPath(path: JsonPath, values: Values): JsonPath {
  return path.map((seg) => {
    const m = typeof seg === "string" ? WHOLE_PLACEHOLDER.exec(seg) : null;
    return m ? String(captured(values, m[1]!)) : seg;
  });
}

/** The value at `path` (already filled), or undefined. "*" takes the first member under which the rest exists. */
export function valueAt(json: unknown, path: JsonPath): unknown {
  if (path.length === 0) return json;
  const [head, ...rest] = path;
  if (typeof json !== "object" || json === null) return undefined;
  if (head === "*") {
    for (const member of Array.isArray(json) ? json : Object.values(json)) {
      const v = valueAt(member, rest);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  if (Array.isArray(json)) return typeof head === "number" ? valueAt(json[head], rest) : undefined;
  return Object.hasOwn(json, String(head)) ? valueAt((json as Record<string, unknown>)[String(head)], rest) : undefined;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const isEmpty = (v: unknown) => v === undefined || v === null || v === "" || (typeof v === "object" && Object.keys(v).length === 0);

function holds(c: StepCondition, json: unknown, values: Values): boolean {
  const v = valueAt(json, fillJsonPath(c.path, values));
  return "equals" in c ? sameJson(v, c.equals) : !isEmpty(v);
}

/** "status.completed", "outputs.*.images[0].filename". */
export function pathText(path: JsonPath): string {
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("") || "the answer";
}

function conditionText(c: StepCondition, values: Values): string {
  const at = pathText(fillJsonPath(c.path, values));
  return "equals" in c ? `${at} == ${JSON.stringify(c.equals)}` : `${at} is present`;
}

/** The start of a body, for messages. */
export function snippet(body: Buffer, n = 300): string {
  const text = body.toString("utf8", 0, n).replace(/\s+/g, " ").trim();
  return body.length > n ? `${text}…` : text;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new StepFailure(`the answer is not JSON (${body.length} bytes: ${JSON.stringify(snippet(body, 80))})`);
  }
}

function failures(step: HttpStep, json: unknown, values: Values): void {
  for (const f of step.failWhen ?? []) {
    if (!holds(f.when, json, values)) continue;
    const quoted = f.quote ? valueAt(json, fillJsonPath(f.quote, values)) : undefined;
    throw new StepFailure(quoted === undefined ? f.error : `${f.error}: ${JSON.stringify(quoted).slice(0, 1000)}`);
  }
}

/**
 * Checks one answer; returns the parsed JSON when the step reads it. An error status fails the
 * step, with the step's own words when its failure tests recognise the (JSON) answer.
 */
function judge(step: HttpStep, a: HttpAnswer, values: Values): unknown {
  if (a.status < 200 || a.status >= 300) {
    let json: unknown;
    try {
      json = step.failWhen?.length ? JSON.parse(a.body.toString("utf8")) : undefined;
    } catch {
      /* not JSON: the status and the body's start say it */
    }
    if (json !== undefined) failures(step, json, values);
    throw new StepFailure(`HTTP ${a.status}: ${snippet(a.body)}`);
  }
  if (!step.poll && !step.failWhen?.length && !step.capture) return undefined;
  const json = parseJson(a.body);
  failures(step, json, values);
  return json;
}

function capture(step: HttpStep, json: unknown, values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(step.capture ?? {})) {
    const filled = fillJsonPath(path, values);
    const v = valueAt(json, filled);
    if (v === undefined) throw new StepFailure(`the answer has no ${pathText(filled)} (for ${name})`);
    out[name] = v;
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why a command failed, or undefined when it exited 0 in time. */
export function execProblem(e: ExecEnd, timeoutMs: number): string | undefined {
  if (e.error) return `could not be started: ${e.error}`;
  if (e.timedOut) return `did not end within ${Math.round(timeoutMs / 1000)} s (stopped with ${e.escalation.join(", then ") || "no signal"})`;
  if (e.code === 0) return undefined;
  return e.code !== null ? `exited with code ${e.code}` : `was killed by ${e.signal ?? "a signal"}`;
}

async function runExecStep(step: ExecStep, exec: ExecCall | undefined): Promise<StepResult> {
  const t = Date.now();
  if (!exec) return { name: step.name, ok: false, ms: 0, error: "this driver runs no commands (the job starts a server)" };
  const end = await exec(step.exec, step.timeoutMs);
  writeFileSync(step.save, JSON.stringify(end));
  const error = execProblem(end, step.timeoutMs);
  return { name: step.name, ok: error === undefined, ms: Date.now() - t, exitCode: end.code, ...(error ? { error } : {}) };
}

/** Runs one step to its end: ok with the values it captured, or failed with the reason. */
export async function runStep(step: DriverStep, call: HttpCall, values: Values, exec?: ExecCall): Promise<StepResult> {
  if (isExecStep(step)) return runExecStep(step, exec);
  const t = Date.now();
  const deadline = t + step.timeoutMs;
  let requests = 0;
  let answers = 0;
  let last: HttpAnswer | undefined;
  const done = (extra: Partial<StepResult>): StepResult => ({ name: step.name, ok: false, ms: Date.now() - t, requests, ...(last ? { status: last.status, bytes: last.body.length } : {}), ...extra });
  const timeUp = (poll: NonNullable<HttpStep["poll"]>) =>
    new StepFailure(`${conditionText(poll.until, values)} did not hold within ${Math.round(step.timeoutMs / 1000)} s (${answers} answer(s); the last: ${last ? snippet(last.body) : "none"})`);
  try {
    const path = fillPath(step.path, values);
    const body = step.body === undefined ? undefined : fillBody(step.body, values);
    for (;;) {
      requests++;
      try {
        last = await call(step.method, path, body, Math.max(1, deadline - Date.now()));
        answers++;
      } catch (e) {
        // A request cut short by the step's own deadline is the poll running out of time.
        if (step.poll && deadline - Date.now() < step.poll.everyMs) throw timeUp(step.poll);
        throw new StepFailure((e as Error).message);
      }
      writeFileSync(step.save, last.body);
      const json = judge(step, last, values);
      if (step.poll && !holds(step.poll.until, json, values)) {
        if (Date.now() + step.poll.everyMs >= deadline) throw timeUp(step.poll);
        await sleep(step.poll.everyMs);
        continue;
      }
      return done({ ok: true, ...(step.capture ? { values: capture(step, json, values) } : {}) });
    }
  } catch (e) {
    if (!(e instanceof StepFailure)) throw e;
    return done({ error: e.message });
  }
}

/** Runs the steps in order; a failed step that is not optional ends the run. */
export async function runSteps(steps: readonly DriverStep[], call: HttpCall, exec?: ExecCall): Promise<StepResult[]> {
  const values = new Map<string, unknown>();
  const results: StepResult[] = [];
  for (const step of steps) {
    const r = await runStep(step, call, values, exec);
    results.push(r);
    for (const [k, v] of Object.entries(r.values ?? {})) values.set(k, v);
    if (!r.ok && !step.optional) break;
  }
  return results;
}

/**
 * What is wrong with a list of steps before any runs: names used twice, and values used before
 * an earlier step captures them (in a path, a body, a condition or a capture path).
 */
export function stepProblems(steps: readonly (Omit<HttpStep, "save"> | Omit<ExecStep, "save">)[]): string[] {
  const problems = new Set<string>();
  const known = new Set<string>();
  const names = new Set<string>();
  const use = (step: string, name: string) => known.has(name) || problems.add(`step ${step} uses "${name}" before any step captures it`);
  const usePath = (step: string, p: JsonPath) => p.forEach((s) => typeof s === "string" && WHOLE_PLACEHOLDER.test(s) && use(step, WHOLE_PLACEHOLDER.exec(s)![1]!));
  const useBody = (step: string, b: unknown): void => {
    if (Array.isArray(b)) b.forEach((x) => useBody(step, x));
    else if (typeof b === "object" && b !== null) {
      const ref = (b as Record<string, unknown>).$value;
      if (Object.keys(b).length === 1 && typeof ref === "string") use(step, ref);
      else Object.values(b).forEach((x) => useBody(step, x));
    }
  };
  for (const s of steps) {
    if (names.has(s.name)) problems.add(`two steps are named ${s.name}`);
    names.add(s.name);
    // A command's braces are the launcher's placeholders ({python}), not captured values.
    if ("exec" in s) continue;
    for (const m of s.path.matchAll(PLACEHOLDER)) use(s.name, m[1]!);
    useBody(s.name, s.body);
    if (s.poll) usePath(s.name, s.poll.until.path);
    for (const f of s.failWhen ?? []) {
      usePath(s.name, f.when.path);
      if (f.quote) usePath(s.name, f.quote);
    }
    for (const p of Object.values(s.capture ?? {})) usePath(s.name, p);
    for (const k of Object.keys(s.capture ?? {})) known.add(k);
  }
  return [...problems];
}
