// The verify report's shape (report.json), shared by the checks that fill it, the writer
// (report.ts) and the HTML page (report-html.ts).

import type { ArchiveFormat } from "../contract/registry-names.ts";
import type { ClassifiedChanges } from "./changes.ts";
import type { ImageStats } from "./image-check.ts";
import type { TorchFacts } from "./gpu.ts";
import type { NetAttempt } from "./netguard.ts";

export const REPORT_FORMAT = 1;

export type CheckStatus = "pass" | "fail" | "warn" | "skip";

export type CheckId = "source" | "extract" | "bundle" | "update" | "manifest" | "isolation" | "ready" | "offline" | "generate" | "image" | "gpu" | "stop" | "leftovers" | "changes";

export interface Check {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** One sentence: what was found. */
  detail: string;
  /** Lines that back the detail up (files, processes, addresses, log lines). */
  items?: string[];
}

export interface VerifyReport {
  format: typeof REPORT_FORMAT;
  ok: boolean;
  tool: { name: "greenbundle"; version: string };
  bundle: { name: string; version: string; platform: string; title: string } | null;
  source: { path: string; kind: ArchiveFormat | "folder"; bytes?: number; sha256?: string };
  copy: { path: string; kept: boolean };
  offline: { method: "netns" | "proxy" | "none"; detail: string; attempts: NetAttempt[] };
  /** Seconds, to the millisecond; null when the step did not run. */
  timings: { extract: number | null; manifest: number | null; ready: number | null; generate: number | null; stop: number | null; total: number };
  gpu: { mode: "auto" | "require" | "off"; torch: TorchFacts | null; memory: Record<string, number> | null; used: boolean | null; detail: string };
  request: Record<string, unknown> | null;
  image: { file: string; bytes: number; sha256: string; width: number; height: number; stats: ImageStats | null; info?: Record<string, unknown> } | null;
  changes: { violations: number; pycache: number; allowed: number; other: number; lists: ClassifiedChanges } | null;
  log: { file: string; lines: number; tail: string[] } | null;
  checks: Check[];
  /** Ids of failed checks, in order. */
  failed: CheckId[];
}
