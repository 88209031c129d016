// Turning what happened into checks. Pure: each function reads facts the run
// collected and returns one Check with a sentence a maintainer can act on.

import { describeChange, type ClassifiedChanges } from "./changes.ts";
import type { DriverResult } from "./driver-job.ts";
import type { TorchFacts } from "./gpu.ts";
import { judgeImage, imageStats, type ImageStats } from "./image-check.ts";
import type { Isolation } from "./isolation.ts";
import { describeAttempt, type NetAttempt } from "./netguard.ts";
import { decodePng } from "./png.ts";
import type { Check, CheckId } from "./report-types.ts";
import type { MemoryFacts } from "./api.ts";

export const TITLES: Record<CheckId, string> = {
  source: "archive integrity",
  extract: "unpacked into an awkward path",
  bundle: "bundle.json",
  update: "update applied through the launcher",
  manifest: "file manifest",
  isolation: "network cut off",
  ready: "app ready",
  offline: "no network access",
  generate: "test generation",
  image: "image check",
  gpu: "GPU",
  stop: "clean stop",
  leftovers: "nothing left running",
  changes: "first launch changed nothing it should not",
};

export const CHECK_ORDER = Object.keys(TITLES) as CheckId[];

export function check(id: CheckId, status: Check["status"], detail: string, items?: string[]): Check {
  return { id, title: TITLES[id], status, detail, ...(items && items.length > 0 ? { items } : {}) };
}

const s = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

export function isolationCheck(iso: Isolation): Check {
  return iso.method === "netns" ? check("isolation", "pass", iso.detail) : check("isolation", "warn", iso.detail);
}

export function readyCheck(r: DriverResult, readyPath: string, tail: string[]): Check {
  if (r.readyMs !== null) return check("ready", "pass", `GET ${readyPath} answered 200 after ${s(r.readyMs)}`);
  return check("ready", "fail", r.readyError ?? "the app never became ready", tail.length ? [`last ${tail.length} lines of the app's output:`, ...tail] : ["the app printed nothing"]);
}

/** Log lines that show a network attempt even where nothing recorded it (an app that hides its errors cannot hide these). */
const NET_SIGNS = /Network is unreachable|ENETUNREACH|Temporary failure in name resolution|Name or service not known|EAI_AGAIN|getaddrinfo failed|Could not resolve host|Failed to establish a new connection|ProxyError|Tunnel connection failed|Max retries exceeded with url/;

export function offlineCheck(iso: Isolation, attempts: NetAttempt[], log: string): Check {
  const lines = log.split("\n").filter((l) => NET_SIGNS.test(l)).slice(0, 20);
  const items = [...attempts.map(describeAttempt), ...lines.map((l) => `log: ${l.trim()}`)];
  if (items.length > 0) {
    const what = attempts.length > 0 ? describeAttempt(attempts[0]!) : "network errors in its log";
    return check("offline", "fail", `offline violation: the app reached for the network (${what}); a first launch must not download anything`, items);
  }
  const how = iso.method === "netns" ? (iso.sink ? "no connection or DNS lookup was recorded" : "no network error appeared in the log") : "no request reached the refusing proxy";
  return check("offline", "pass", how);
}

export interface ImageOutcome {
  check: Check;
  width?: number;
  height?: number;
  stats?: ImageStats;
}

export function imageCheck(png: Buffer, want: { width?: unknown; height?: unknown }): ImageOutcome {
  let decoded;
  try {
    decoded = decodePng(png);
  } catch (e) {
    return { check: check("image", "fail", (e as Error).message) };
  }
  const { width, height } = decoded;
  const stats = imageStats(decoded.rgba, width, height);
  const base = { width, height, stats };
  if ((typeof want.width === "number" && want.width !== width) || (typeof want.height === "number" && want.height !== height)) {
    return { ...base, check: check("image", "fail", `the image is ${width}×${height}, ${String(want.width)}×${String(want.height)} was asked for`) };
  }
  const verdict = judgeImage(stats);
  if (!verdict.ok) return { ...base, check: check("image", "fail", verdict.reason!) };
  const detail = `a valid ${width}×${height} PNG (${decoded.chunks.filter((c) => c === "IDAT").length} IDAT chunk(s), CRCs good) with ${stats.distinctColours}${stats.distinctColours >= 100_000 ? "+" : ""} colours, channel std-dev ${stats.std.join("/")}`;
  return { ...base, check: check("image", "pass", detail) };
}

export function gpuCheck(mode: "auto" | "require" | "off", torch: TorchFacts | null, memory: MemoryFacts | null): { check: Check; used: boolean | null; detail: string } {
  if (mode === "off") return { check: check("gpu", "skip", "--gpu off"), used: null, detail: "not checked (--gpu off)" };
  const parts: string[] = [];
  if (torch === null) parts.push("the bundle has no torch");
  else if (torch.error) parts.push(`torch could not be imported: ${torch.error}`);
  else parts.push(`torch ${torch.version}, CUDA ${torch.cuda ? `${torch.cudaVersion} on ${torch.device} (${torch.memoryGiB} GiB)` : "not available"}`);
  if (memory) parts.push(memory.detail);
  const used = memory ? memory.used : torch?.cuda === true ? null : false;
  const detail = parts.join("; ");
  if (mode === "require" && used !== true) {
    return { check: check("gpu", "fail", `--gpu require: the GPU was not used for the generation (${detail})`), used, detail };
  }
  return { check: check("gpu", "pass", `${used ? "the GPU generated the image" : used === false ? "generated without a GPU" : "GPU use unknown"} — ${detail}`), used, detail };
}

export function stopCheck(stop: DriverResult["stop"]): Check {
  const how = stop.method === "http" ? "POST server-stop" : stop.method === "signal" ? "SIGINT to the launcher" : "not started";
  if (stop.method === "none") return check("stop", "skip", "the launcher never ran");
  const exit = stop.exitSignal ? `signal ${stop.exitSignal}` : `exit code ${stop.exitCode}`;
  if (stop.method === "exited") return check("stop", "warn", `the launcher had already exited by itself (${exit}) before it was asked to stop`);
  if (stop.escalation.length > 0) return check("stop", "fail", `${how} did not stop the app in time; had to send ${stop.escalation.join(", then ")} (${exit})`);
  return check("stop", "pass", `${how}: the launcher exited after ${s(stop.ms)} (${exit})`);
}

/** How a script app's command ended (it is not stopped: it must end by itself, in time). */
export function commandEndCheck(stop: DriverResult["stop"]): Check {
  if (stop.method === "none") return check("stop", "skip", "the command never ran");
  const exit = stop.exitSignal ? `signal ${stop.exitSignal}` : `exit code ${stop.exitCode}`;
  if (stop.method === "signal") return check("stop", "fail", `the command did not end within its time; had to send ${stop.escalation.join(", then ")} (${exit})`);
  return check("stop", "pass", `the command ended by itself after ${s(stop.ms)} (${exit})`);
}

export function leftoversCheck(r: DriverResult): Check {
  if (r.stop.method === "none") return check("leftovers", "skip", "the launcher never ran");
  const items = r.leftovers.map((p) => `pid ${p.pid}: ${p.command}`);
  if (!r.portClosed) items.push(`port ${r.port} still accepts connections`);
  if (items.length > 0) return check("leftovers", "fail", `${r.leftovers.length} process(es) outlived the launcher${r.portClosed ? "" : `, port ${r.port} still open`}`, items);
  const scan = r.leftoverScan === "pid-namespace" ? "no process left in the PID namespace" : r.leftoverScan === "marker" ? "no process of the run left" : "process scan unavailable on this host";
  // A script app listens on nothing (port 0): there is no port to find closed.
  return check("leftovers", r.leftoverScan === "unavailable" ? "warn" : "pass", r.port ? `${scan}; port ${r.port} closed` : scan);
}

export function changesCheck(c: ClassifiedChanges): Check {
  const counts = `${c.allowed.length} allowed by the recipe, ${c.pycache.length} new bytecode file(s), ${c.other.length} other`;
  if (c.violations.length > 0) {
    return check("changes", "fail", `the first launch changed ${c.violations.length} file(s) it must not (installed or updated something at run time); ${counts}`, c.violations.map(describeChange));
  }
  const notes = [...c.pycache.slice(0, 5).map((e) => `${describeChange(e)} — ship bytecode precompiled to avoid this`), ...c.other.slice(0, 20).map(describeChange)];
  return check("changes", "pass", `nothing changed under the Python runtime or the repositories; ${counts}`, notes);
}
