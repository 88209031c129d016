// The doctor's report: the rules' verdicts as data (`launcher --check --json`) and as text for
// people, 中文 then English. Shape of the JSON (stable, read by tools):
//   {"ok", "mode": "gpu"|"cpu", "gpu": {"name","driver","memory_mb","compute_cap"}|null,
//    "items": [{"id","status":"ok"|"warn"|"fail","message","hint"}]}

import { doctorText } from "./doctor-text.ts";
import { evaluate, evaluateGpu, modeOf, selectedGpu, type DoctorFacts, type DoctorItem, type GpuSide, type ItemId, type Status } from "./doctor-rules.ts";

export interface ReportItem {
  id: ItemId;
  status: Status;
  message: string;
  hint: string;
}

export interface DoctorReport {
  ok: boolean;
  mode: "gpu" | "cpu";
  gpu: { name: string; driver: string | null; memory_mb: number; compute_cap: string | null } | null;
  items: ReportItem[];
}

function said(item: DoctorItem, lang: "en" | "zh"): { message: string; hint: string } {
  const texts = item.findings.map((f) => doctorText(lang, f.key, f.params));
  return { message: texts.map((t) => t.message).join(" "), hint: texts.map((t) => t.hint).filter(Boolean).join(" ") };
}

/** The JSON report (messages and hints in English, the stable language for tools). */
export function doctorReport(facts: DoctorFacts, items: DoctorItem[] = evaluate(facts)): DoctorReport {
  const g = selectedGpu(facts);
  return {
    ok: items.every((i) => i.status !== "fail"),
    mode: modeOf(facts, items),
    gpu: g ? { name: g.name, driver: g.driver ?? null, memory_mb: g.memoryMiB, compute_cap: g.computeCap ?? null } : null,
    items: items.map((i) => ({ id: i.id, status: i.status, ...said(i, "en") })),
  };
}

const MARK: Record<Status, string> = { ok: "OK  ", warn: "WARN", fail: "FAIL" };

/** Lines for people: each item in 中文, then in English, its hint under it. `problemsOnly` leaves out the ok ones. */
export function doctorLines(items: readonly DoctorItem[], problemsOnly = false): string[] {
  const out: string[] = [];
  for (const item of items) {
    if (problemsOnly && item.status === "ok") continue;
    const zh = said(item, "zh");
    const en = said(item, "en");
    out.push(`[${MARK[item.status]}] ${item.id}: ${zh.message}`);
    if (zh.hint) out.push(`       → ${zh.hint}`);
    out.push(`       ${en.message}`);
    if (en.hint) out.push(`       → ${en.hint}`);
  }
  return out;
}

/** The GPU items a normal start needs before the spawn, and the mode they give. */
export function gpuVerdict(facts: GpuSide): { items: DoctorItem[]; mode: "gpu" | "cpu" } {
  const items = evaluateGpu(facts);
  return { items, mode: modeOf(facts, items) };
}
