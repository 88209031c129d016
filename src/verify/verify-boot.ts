// The boot half of a verify run: isolation, GPU facts, the driver, and the checks made from what
// it saw; then the tree comparison. verify.ts runs these after the manifest passed.

import { mkdir, readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { PLATFORM_FACTS } from "../core/platform.ts";
import { DEFAULT_OUT, generationText, stepText, type Answers, type ApiContext, type ApiPlan, type VerifyApi } from "./api.ts";
import { boot } from "./boot.ts";
import { classifyChanges, type ProtectedArea } from "./changes.ts";
import { changesCheck, check, commandEndCheck, gpuCheck, imageCheck, isolationCheck, leftoversCheck, offlineCheck, readyCheck, stopCheck } from "./checks.ts";
import type { DriverResult } from "./driver-job.ts";
import { hasTorch, probeTorch } from "./gpu.ts";
import { probeIsolation } from "./isolation.ts";
import type { Run } from "./run.ts";
import { diffTrees, snapshotTree, type Tree } from "./tree.ts";
import type { BundleJson } from "../contract/bundle-json.ts";

/** How long the app gets to exit after server-stop or SIGINT before verify escalates. */
export const STOP_GRACE_MS = 20_000;
/** Lines of the app's output shown when it never became ready. */
export const TAIL_LINES = 50;

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export function logTail(log: string, n = TAIL_LINES): { lines: number; tail: string[] } {
  const lines = log.replace(ANSI, "").replace(/\r\n?/g, "\n").split("\n");
  while (lines.length > 0 && lines.at(-1)!.trim() === "") lines.pop();
  return { lines: lines.length, tail: lines.slice(-n) };
}

/** The longest wait verify accepts, in seconds (a day). */
export const MAX_TIMEOUT_S = 86_400;

export async function bootAndCheck(run: Run): Promise<void> {
  const { opts, bj, root, api } = run as Required<Pick<Run, "bj" | "root" | "api">> & Run;
  const r = run.report;
  const iso = (run.iso = await probeIsolation({ env: opts.env, allowNetns: opts.allowNetns }));
  r.offline = { method: iso.method, detail: iso.detail, attempts: [] };
  r.checks.push(isolationCheck(iso));
  if (opts.gpu !== "off" && hasTorch(bj)) run.torch = await probeTorch(root, bj, iso, opts.env, undefined, opts.signal);
  // At most a day: Node timers overflow past 2^31 ms and would then fire at once (TimeoutOverflowWarning).
  const timeoutMs = Math.min(MAX_TIMEOUT_S, opts.timeoutS ?? bj.verify?.timeout ?? 900) * 1000;
  const dir = join(run.work!, "driver");
  const ctx: ApiContext = { bj, timeoutMs, root, out: freshFolder(run.before, DEFAULT_OUT) };
  const plan = api.plan(ctx);
  const saved = (name: string) => join(dir, `${name}.answer`);
  r.request = plan.request;
  if (plan.outDir !== undefined) {
    await mkdir(join(root, ...plan.outDir.split("/")), { recursive: true });
    run.outDir = plan.outDir;
  }
  const server = plan.server !== false;
  const out = await boot({
    job: {
      ...(server ? {} : { server: false as const }),
      launcher: join(root, bj.launcher.name + PLATFORM_FACTS[bj.platform].exe),
      args: ["--no-browser"],
      cwd: root,
      env: {},
      ready: { path: plan.ready, timeoutMs },
      steps: plan.steps.map((s) => ({ ...s, save: saved(s.name) })),
      stop: { ...(plan.stop ? { http: plan.stop } : {}), graceMs: STOP_GRACE_MS },
      guard: iso.method === "proxy" ? "proxy" : iso.sink ? "sink" : "none",
    },
    iso,
    dir,
    env: opts.env,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const res = out.result;
  run.log = out.log;
  const tail = logTail(out.log);
  r.log = { file: "app.log", ...tail };
  r.offline.attempts = res.attempts;
  if (res.error) res.readyError = `the verify driver failed: ${res.error}`;
  r.timings.ready = res.readyMs === null ? null : res.readyMs / 1000;
  // A script app is not stopped: its command's time is the generation's.
  r.timings.stop = res.stop.method === "none" || !server ? null : res.stop.ms / 1000;
  const ready = server ? readyCheck(res, plan.ready, tail.tail) : res.error ? check("ready", "fail", res.readyError!) : check("ready", "skip", "a script app is no server: nothing to wait for (verify runs its command through launcher --exec)");
  r.checks.push(ready, offlineCheck(iso, res.attempts, out.log));
  const answers: Answers = {
    step: (name) => res.steps.find((s) => s.name === name),
    body: async (name) => (res.steps.some((s) => s.name === name && s.status !== undefined) ? readFile(saved(name)).catch(() => undefined) : undefined),
  };
  const generated = await generationChecks(run, res, plan, api, answers, ctx, tail.tail);
  const memory = await api.gpu(answers);
  // No image, no GPU verdict: "generated without a GPU" would claim a generation that never happened.
  const g = generated || opts.gpu === "off" ? gpuCheck(opts.gpu, run.torch, memory) : { check: check("gpu", "skip", "no image was generated, so GPU use is unknown"), used: null, detail: "not checked: no image was generated" };
  const figures = memory && Object.keys(memory.figures).length > 0 ? memory.figures : null;
  r.gpu = { mode: opts.gpu, torch: run.torch, memory: figures, used: g.used, detail: g.detail };
  r.checks.push(g.check, server ? stopCheck(res.stop) : commandEndCheck(res.stop), leftoversCheck(res));
}

/** `name`, or `name-2`, `name-3`…: the first that is not a file or folder of the bundle. */
export function freshFolder(tree: Tree | undefined, name: string): string {
  const taken = (n: string) => [...(tree?.keys() ?? [])].some((p) => p === n || p.startsWith(`${n}/`));
  if (!taken(name)) return name;
  for (let i = 2; ; i++) if (!taken(`${name}-${i}`)) return `${name}-${i}`;
}

/** The generate and image checks; true when every generation step passed. */
async function generationChecks(run: Run, res: DriverResult, plan: ApiPlan, api: VerifyApi, answers: Answers, ctx: ApiContext, tail: string[]): Promise<boolean> {
  const r = run.report;
  if (plan.server !== false && res.readyMs === null) return false; // generate and image are reported as skipped
  for (const name of plan.generation) {
    const step = answers.step(name);
    if (step?.ok) continue;
    const planned = plan.steps.find((s) => s.name === name)!;
    // The app's last words usually say why (a traceback, a sampler still running).
    const items = tail.length ? [`last ${tail.length} lines of the app's output:`, ...tail] : ["the app printed nothing"];
    const said = step ? await api.explain?.(name, answers) : undefined;
    const why = said ?? step?.error ?? "not run";
    r.checks.push(check("generate", "fail", `${stepText(planned)} failed: ${why}`, said && step?.error ? [`the answer: ${step.error}`, ...items] : items));
    return false;
  }
  r.timings.generate = plan.generation.reduce((ms, n) => ms + answers.step(n)!.ms, 0) / 1000;
  const answer = await api.image(answers, ctx);
  if ("error" in answer) {
    r.checks.push(check("generate", "fail", answer.error));
    return true;
  }
  const how = plan.server === false ? "ended (exit code 0)" : "answered";
  r.checks.push(check("generate", "pass", `${generationText(plan)} ${how} in ${r.timings.generate.toFixed(2)} s with a ${answer.png.length}-byte image`));
  const img = imageCheck(answer.png, plan.expect ?? r.request ?? {});
  run.png = answer.png;
  r.image = {
    file: "image.png",
    bytes: answer.png.length,
    sha256: createHash("sha256").update(answer.png).digest("hex"),
    width: img.width ?? 0,
    height: img.height ?? 0,
    stats: img.stats ?? null,
    ...(answer.info ? { info: answer.info } : {}),
  };
  r.checks.push(img.check);
  return true;
}

/** Where a first launch must not write: the Python runtime, its site-packages, every bundled repository. */
export function protectedAreas(bj: BundleJson): { areas: ProtectedArea[]; repos: string[] } {
  const areas: ProtectedArea[] = [];
  const runtime = bj.components.find((c) => c.kind === "python")?.dest ?? bj.launcher.python.split("/")[0]!;
  areas.push({ path: runtime, label: "the Python runtime" });
  const sp = new Set<string>();
  for (const f of bj.files) {
    const m = /^(.*?\/site-packages)\//.exec(f.path);
    if (m) sp.add(m[1]!);
  }
  for (const p of sp) areas.push({ path: p, label: "site-packages" });
  const repos = [...new Set([...bj.launcher.repos, ...bj.components.filter((c) => c.kind === "repo" || c.kind === "extension").map((c) => c.dest)])].sort();
  for (const p of repos) areas.push({ path: p, label: `repository ${p}` });
  return { areas, repos };
}

export async function changes(run: Run): Promise<void> {
  const { bj, before, root } = run as Required<Pick<Run, "bj" | "before" | "root">> & Run;
  const after = await snapshotTree(root, { previous: before, ...(run.opts.signal ? { signal: run.opts.signal } : {}) });
  const { areas, repos } = protectedAreas(bj);
  const allow = [...(bj.verify?.allow_changes ?? []), ...(run.outDir !== undefined ? [`${run.outDir}/**`] : [])];
  const c = classifyChanges(diffTrees(before, after), { protected: areas, repos, shipped: new Set(bj.files.map((f) => f.path)), allow });
  run.report.changes = { violations: c.violations.length, pycache: c.pycache.length, allowed: c.allowed.length, other: c.other.length, lists: c };
  run.report.checks.push(changesCheck(c));
}
