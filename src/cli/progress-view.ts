// What the live progress view shows, computed from the event stream (pure: no terminal here).
// Speed is a moving average per download; the overall speed is their sum; ETAs come from the
// bytes still to come. Used by the listr2 view (render-tty.ts) and the plain renderer.

import type { BundleEvent } from "../core/events.ts";

export function fmtBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  // whole bytes below 1 KiB: rates (bytes / seconds) are fractional, and "182.79569… B/s" reads as noise
  let v = n < 1024 ? Math.round(n) : n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function fmtDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "?";
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

interface Item {
  id: string;
  total: number | undefined;
  bytes: number;
  /** Bytes at the last rate sample, and when (ms). */
  sampleBytes: number;
  sampleAt: number;
  rate: number;
  startedAt: number;
  state: "active" | "done" | "failed";
}

const LOG_LINES = 5;

export class ProgressModel {
  private readonly items = new Map<string, Item>();
  private readonly tasks = new Map<string, { title: string; done: number; total?: number | undefined }>();
  readonly log: string[] = [];
  stage: string | undefined;
  stageDetail: string | undefined;
  cached = 0;
  failed = 0;
  private firstAt: number | undefined;
  private lastAt = 0;

  private note(line: string): void {
    this.log.push(line);
    if (this.log.length > LOG_LINES) this.log.shift();
  }

  apply(e: BundleEvent, now: number): void {
    switch (e.type) {
      case "stage":
        if (e.status === "start") {
          this.stage = e.stage;
          this.stageDetail = e.detail;
        }
        break;
      case "download:start":
      case "download:progress":
      case "download:mirror":
      case "download:retry":
      case "download:done":
      case "download:failed":
        this.applyDownload(e, now);
        break;
      case "task:start":
        this.tasks.set(e.id, { title: e.title, done: 0, total: e.total });
        break;
      case "task:progress": {
        const t = this.tasks.get(e.id);
        if (t) Object.assign(t, { done: e.done, total: e.total ?? t.total });
        break;
      }
      case "task:done":
      case "task:failed":
        this.tasks.delete(e.id);
        if (e.type === "task:failed") this.note(`✖ ${e.id}: ${e.reason}`);
        break;
      case "warning":
        this.note(`⚠ ${e.message}`);
        break;
      case "info":
        this.note(e.message);
        break;
    }
  }

  private applyDownload(e: Extract<BundleEvent, { type: `download:${string}` }>, now: number): void {
    switch (e.type) {
      case "download:start": {
        const from = e.resumeFrom ?? 0;
        this.items.set(e.id, { id: e.id, total: e.total, bytes: from, sampleBytes: from, sampleAt: now, rate: 0, startedAt: now, state: "active" });
        this.firstAt ??= now;
        break;
      }
      case "download:progress": {
        const it = this.items.get(e.id);
        if (!it) break;
        it.total = e.total ?? it.total;
        it.bytes = e.bytes;
        const dt = (now - it.sampleAt) / 1000;
        if (dt >= 0.25) {
          const inst = Math.max(0, (e.bytes - it.sampleBytes) / dt);
          it.rate = it.rate === 0 ? inst : 0.7 * it.rate + 0.3 * inst;
          it.sampleBytes = e.bytes;
          it.sampleAt = now;
        }
        break;
      }
      case "download:mirror":
        this.note(`↪ ${e.id}: ${e.reason}; trying ${e.to}`);
        break;
      case "download:retry":
        this.note(`⟳ ${e.id}: ${e.reason}; round ${e.attempt} in ${fmtDuration(e.delayMs / 1000)}`);
        break;
      case "download:done": {
        const it = this.items.get(e.id);
        if (e.cached && !it) {
          this.cached++;
          break;
        }
        if (it) Object.assign(it, { state: "done", bytes: e.bytes });
        this.note(`✔ ${e.id} ${fmtBytes(e.bytes)}${it ? ` in ${fmtDuration((now - it.startedAt) / 1000)}` : ""}`);
        this.lastAt = now;
        break;
      }
      case "download:failed": {
        const it = this.items.get(e.id);
        if (it) it.state = "failed";
        this.failed++;
        this.note(`✖ ${e.id}: ${e.reason}`);
        break;
      }
    }
  }

  private active(): Item[] {
    return [...this.items.values()].filter((i) => i.state === "active").sort((a, b) => a.startedAt - b.startedAt);
  }

  /** One line about all downloads: count, bytes, speed, ETA. */
  overall(): string | undefined {
    const all = [...this.items.values()];
    if (!all.length && !this.cached) return undefined;
    const active = this.active();
    const rate = active.reduce((n, i) => n + i.rate, 0);
    const bytes = all.reduce((n, i) => n + i.bytes, 0);
    const known = active.every((i) => i.total !== undefined);
    const left = active.reduce((n, i) => n + Math.max(0, (i.total ?? i.bytes) - i.bytes), 0);
    const parts = [`${all.filter((i) => i.state === "done").length} downloaded${this.cached ? `, ${this.cached} cached` : ""}${active.length ? `, ${active.length} active` : ""}${this.failed ? `, ${this.failed} failed` : ""}`, fmtBytes(bytes)];
    if (active.length) parts.push(`${fmtBytes(rate)}/s`, known && rate > 0 ? `ETA ${fmtDuration(left / rate)}` : "ETA ?");
    else if (this.firstAt !== undefined && this.lastAt > this.firstAt) parts.push(`avg ${fmtBytes(bytes / ((this.lastAt - this.firstAt) / 1000))}/s`);
    return parts.join(" · ");
  }

  /** Title and detail lines for the live view, cut to `width` columns. */
  view(width = 100, maxRows = 8): { title: string; lines: string[] } {
    const head = this.overall();
    const title = [this.stage ?? "working", head].filter(Boolean).join(": ");
    const active = this.active();
    const w = Math.min(40, Math.max(8, ...active.map((i) => i.id.length)));
    const lines = active.slice(0, maxRows).map((i) => {
      const pct = i.total ? `${String(Math.floor((100 * i.bytes) / i.total)).padStart(3)}%` : "   ?";
      const size = `${fmtBytes(i.bytes)}${i.total ? ` / ${fmtBytes(i.total)}` : ""}`;
      const eta = i.total && i.rate > 0 ? `ETA ${fmtDuration((i.total - i.bytes) / i.rate)}` : "";
      return cut(`${cutLeft(i.id, w).padEnd(w)} ${pct} ${size.padEnd(21)} ${`${fmtBytes(i.rate)}/s`.padStart(12)} ${eta}`.trimEnd(), width);
    });
    if (active.length > maxRows) lines.push(`… and ${active.length - maxRows} more`);
    for (const t of this.tasks.values()) lines.push(cut(`${t.title} ${t.done}${t.total ? `/${t.total}` : ""}`, width));
    const detail = this.stageDetail && maxRows > 0 ? [cut(this.stageDetail, width)] : [];
    return { title: cut(title, width), lines: [...detail, ...lines, ...this.log.map((l) => cut(l, width))] };
  }
}

function cut(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, Math.max(1, n - 1)) + "…";
}

function cutLeft(s: string, n: number): string {
  return s.length <= n ? s : "…" + s.slice(s.length - n + 1);
}
