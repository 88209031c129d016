// What `bundle verify` needs to know about an app's HTTP API: one entry per API in apis.ts, each
// in its own file (a1111.ts). An entry is data and pure functions: the readiness path, the driver
// steps that make one image (they may poll and reuse values from earlier answers: driver-job.ts),
// how to stop the app, where the image to check comes from, and the GPU facts the API reports.
// The driver runs the steps inside the network namespace; the entry reads the saved answers.

import type { BundleJson } from "../contract/bundle-json.ts";
import type { VerifyApiName } from "../contract/registry-names.ts";
import type { ExecStep, HttpStep, StepResult } from "./driver-job.ts";

export interface ApiContext {
  bj: BundleJson;
  /** Milliseconds the generation may take (verify.timeout or --timeout). */
  timeoutMs: number;
  /** The booted copy's root folder (absolute); set when verify runs, for an API that reads the image from disk. */
  root?: string;
  /** A relative folder inside the bundle that does not exist yet, for an app that writes its image to disk (default DEFAULT_OUT). */
  out?: string;
}

/** The folder verify gives a script app for its output, unless the bundle already has one of that name. */
export const DEFAULT_OUT = "greenbundle-verify";

/** A driver step as an API plans it; verify decides where its answer is saved. */
export type PlannedHttpStep = Omit<HttpStep, "save">;
export type PlannedExecStep = Omit<ExecStep, "save">;
export type PlannedStep = PlannedHttpStep | PlannedExecStep;

export interface ApiPlan<S extends PlannedStep = PlannedStep> {
  /**
   * false: the app is no server (a script app): the steps run commands through
   * `launcher --exec`, and nothing is waited for or stopped. Default: a server.
   */
  server?: false;
  /** The URL path polled until HTTP 200: bundle.json's launcher.ready, else the API's default (unused without a server). */
  ready: string;
  /** What was asked for, as the report shows it (the txt2img settings, or the graph sent). */
  request: Record<string, unknown>;
  /** The size the image must have, when `request` does not say it at its top level (a graph). */
  expect?: { width?: number; height?: number };
  /** A folder inside the bundle (relative) the steps write into: verify makes it and allows changes under it. */
  outDir?: string;
  steps: S[];
  /** The steps that make the image, in order: all must pass, and their times add up to the generation time. */
  generation: string[];
  /** An HTTP route that stops the app; without one the launcher's process-tree stop is used (SIGINT, then the group). */
  stop?: { method: "POST" | "GET"; path: string };
}

/** What the driver saw, for the entry to read after the run. */
export interface Answers {
  /** The step's result, when it ran. */
  step(name: string): StepResult | undefined;
  /** The body of the step's last answer, when it ran and got one. */
  body(name: string): Promise<Buffer | undefined>;
}

export interface GeneratedImage {
  png: Buffer;
  /** Generation facts the app returned with the image (seed used, sampler, model hash…). */
  info?: Record<string, unknown>;
}

export interface MemoryFacts {
  /** True when the figures show GPU allocations (the GPU did work), false when CUDA is unavailable. */
  used: boolean;
  detail: string;
  /** Selected figures in GiB. */
  figures: Record<string, number>;
}

export interface VerifyApi<N extends VerifyApiName = VerifyApiName> {
  readonly name: N;
  /** What is wrong with bundle.json's verify block for this API (keys only it reads); none when fine. */
  problems?(bj: BundleJson): string[];
  plan(c: ApiContext): ApiPlan;
  /** The image to check, or why there is none. */
  image(a: Answers, c: ApiContext): Promise<GeneratedImage | { error: string }>;
  /** Why a generation step failed, in the app's own words read from its saved answer; undefined leaves the driver's reason alone. */
  explain?(step: string, a: Answers): Promise<string | undefined>;
  /** GPU facts from the answers, or null when the API gave none. */
  gpu(a: Answers): Promise<MemoryFacts | null>;
}

/** "POST /prompt", or "launcher --exec -- {python} scripts/txt2img.py …": one step as the report names it. */
export function stepText(s: PlannedStep): string {
  return "exec" in s ? `launcher --exec -- ${s.exec.join(" ")}` : `${s.method} ${s.path}`;
}

/** "POST /prompt → GET /history/{prompt_id}": how a plan's generation is named in the report. */
export function generationText(plan: ApiPlan): string {
  return plan.generation.map((n) => plan.steps.find((s) => s.name === n)).map((s) => (s ? stepText(s) : "?")).join(" → ");
}
