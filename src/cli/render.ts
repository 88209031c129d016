// Renderers for the core's event stream: plain lines (CI, pipes), JSON lines (--json), and a
// live view on a TTY. Only the CLI prints.

import type { BundleEvent, Emit } from "../core/events.ts";
import { fmtBytes, fmtDuration } from "./progress-view.ts";

export interface Renderer {
  emit: Emit;
  close(): void;
}

export function jsonRenderer(write: (s: string) => void): Renderer {
  return { emit: (e) => write(JSON.stringify(e) + "\n"), close() {} };
}

export { fmtBytes, fmtDuration };

/** One line per meaningful event; progress is throttled to one line per artifact every few seconds. */
export function plainRenderer(write: (s: string) => void, verbose = false): Renderer {
  const lastProgress = new Map<string, number>();
  const started = new Map<string, { at: number; from: number }>();
  const rate = (id: string, bytes: number) => {
    const s = started.get(id);
    const secs = s ? (Date.now() - s.at) / 1000 : 0;
    return s && secs > 0 ? (bytes - s.from) / secs : 0;
  };
  const line = (s: string) => write(s + "\n");
  const emit = (e: BundleEvent) => {
    switch (e.type) {
      case "stage":
        if (e.status !== "done" || verbose) line(`${e.status === "start" ? "==>" : e.status === "skip" ? "--" : "ok "} ${e.stage}${e.detail ? `: ${e.detail}` : ""}${e.ms !== undefined ? ` (${(e.ms / 1000).toFixed(2)} s)` : ""}`);
        break;
      case "download:start":
        started.set(e.id, { at: Date.now(), from: e.resumeFrom ?? 0 });
        line(`GET  ${e.id} ${e.url}${e.resumeFrom ? ` (resuming at ${fmtBytes(e.resumeFrom)})` : ""}`);
        break;
      case "download:progress": {
        const now = Date.now();
        if (now - (lastProgress.get(e.id) ?? 0) > 5000) {
          lastProgress.set(e.id, now);
          const r = rate(e.id, e.bytes);
          const eta = e.total && r > 0 ? `, ETA ${fmtDuration((e.total - e.bytes) / r)}` : "";
          line(`...  ${e.id} ${fmtBytes(e.bytes)}${e.total ? ` / ${fmtBytes(e.total)} (${Math.floor((100 * e.bytes) / e.total)}%)` : ""}${r > 0 ? ` at ${fmtBytes(r)}/s${eta}` : ""}`);
        }
        break;
      }
      case "download:mirror":
        line(`NEXT ${e.id}: ${e.reason}; trying ${e.to}`);
        break;
      case "download:retry":
        line(`WAIT ${e.id}: ${e.reason}; round ${e.attempt} in ${Math.round(e.delayMs / 1000)} s`);
        break;
      case "download:done":
        if (!e.cached || verbose) {
          const s = started.get(e.id);
          const secs = s ? (Date.now() - s.at) / 1000 : 0;
          const how = !e.cached && s && secs > 0 ? ` in ${fmtDuration(secs)} (${fmtBytes((e.bytes - s.from) / secs)}/s)` : "";
          line(`DONE ${e.id} ${fmtBytes(e.bytes)}${e.cached ? " (cached)" : how}`);
        }
        break;
      case "download:failed":
        line(`FAIL ${e.id}: ${e.reason}`);
        break;
      case "task:start":
        if (verbose) line(`==> ${e.title}`);
        break;
      case "task:progress":
        if (verbose) line(`...  ${e.id} ${e.done}${e.total ? `/${e.total}` : ""}${e.detail ? ` ${e.detail}` : ""}`);
        break;
      case "task:done":
        if (verbose) line(`ok  ${e.id}${e.detail ? `: ${e.detail}` : ""}`);
        break;
      case "task:failed":
        line(`FAIL ${e.id}: ${e.reason}`);
        break;
      case "warning":
        line(`warning: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}`);
        break;
      case "info":
        line(e.message);
        break;
    }
  };
  return { emit, close() {} };
}
