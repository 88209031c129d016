// `launcher --check [--json]`: a full sha256 check of the manifest, then the doctor's report on
// this machine (doctor-rules.ts). Exit code 0 when no item failed, 1 otherwise.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE_JSON, type ManifestEntry } from "../../contract/bundle-json.ts";
import { msg, type Lang } from "./i18n.ts";
import { allowedChanges, fullCheck, type CheckResult } from "./manifest.ts";
import { brokenJson, gatherFacts, systemProbes, type Probes } from "./doctor-probes.ts";
import { evaluate } from "./doctor-rules.ts";
import { doctorLines, doctorReport } from "./doctor.ts";
import type { LoadedBundle } from "./config.ts";
import type { Resolved } from "./resolve.ts";

const LIST_MAX = 50;

export function listFiles(lang: Lang, files: string[], max = LIST_MAX): string {
  const shown = files.slice(0, max).map((f) => `  ${f}`);
  if (files.length > max) shown.push(msg(lang, "more", { count: files.length - max }));
  return shown.join("\n");
}

/** Says what is wrong with the manifest check result; true when nothing is. */
export function reportFiles(lang: Lang, r: CheckResult, say: (text: string, level: "warn" | "error") => void): boolean {
  if (r.missing.length > 0) say(msg(lang, "missingFiles", { count: r.missing.length, list: listFiles(lang, r.missing) }), "error");
  if (r.changed.length > 0) say(msg(lang, "changedFiles", { count: r.changed.length, list: listFiles(lang, r.changed) }), "warn");
  return r.missing.length === 0 && r.changed.length === 0;
}

export interface CheckContext {
  lang: Lang;
  root: string;
  windows: boolean;
  bundle: LoadedBundle;
  resolved: Resolved;
  builderVersion: string;
  out: (line: string) => void;
  /** --json: only the doctor's report, as one JSON object. */
  json?: boolean;
  /** --gpu N. */
  gpuIndex?: number;
  /** --port N, else the recipe's. */
  port?: number;
  /** The system probes, replaced in tests. */
  probes?: Probes;
}

/** The manifest's full check (sha256 of every file), with progress on a terminal. */
async function checkAllFiles(c: CheckContext, files: ManifestEntry[], human: boolean): Promise<CheckResult> {
  if (human) c.out(msg(c.lang, "checkHeader", { count: files.length }));
  const tty = human && process.stdout.isTTY;
  let last = 0;
  const r = await fullCheck(c.root, files, allowedChanges(c.bundle.allowChanges), (done) => {
    if (tty && Date.now() - last > 500) {
      last = Date.now();
      process.stdout.write(`\r${done}/${files.length}`);
    }
  });
  if (tty) process.stdout.write("\r");
  return r;
}

export async function runCheck(c: CheckContext): Promise<number> {
  const { json, launcher } = c.bundle;
  const human = !c.json;
  if (human) {
    c.out(`${launcher.title} ${launcher.version} (${json.platform})`);
    c.out(`bundle:   ${c.root}`);
    c.out(`launcher: greenbundle ${c.builderVersion}, node ${process.version}, ${process.platform}-${process.arch}`);
  }
  let files: ManifestEntry[] = [];
  let damaged: string | undefined;
  try {
    files = c.bundle.files();
  } catch (e) {
    damaged = e instanceof Error ? e.message : String(e);
    if (human) c.out(`X ${msg(c.lang, "badManifest", { path: join(c.root, BUNDLE_JSON), error: damaged })}`);
  }
  const r: CheckResult = damaged === undefined ? await checkAllFiles(c, files, human) : { checked: 0, missing: [], changed: [] };
  const filesOk = human ? reportFiles(c.lang, r, (text, level) => c.out(level === "error" ? `X ${text}` : `! ${text}`)) : true;
  if (human && filesOk && damaged === undefined) c.out(msg(c.lang, "checkOk"));
  const facts = await gatherFacts(
    {
      root: c.root, windows: c.windows, env: process.env, bundle: c.bundle, resolved: c.resolved, gpuIndex: c.gpuIndex ?? 0, port: c.port ?? launcher.port,
      files: { missing: r.missing, changed: r.changed, badJson: brokenJson(c.root, r.changed), python: existsSync(c.resolved.python), ...(damaged !== undefined ? { damaged } : {}) },
      longest: files.reduce((m, f) => Math.max(m, f.path.length), 0),
      largest: files.reduce((m, f) => Math.max(m, f.size), 0),
    },
    c.probes ?? systemProbes(c.windows, process.env),
  );
  const items = evaluate(facts);
  const report = doctorReport(facts, items);
  if (c.json) c.out(JSON.stringify(report));
  else {
    c.out("");
    for (const line of doctorLines(items)) c.out(line);
    c.out(`mode: ${report.mode}${report.mode === "cpu" && launcher.gpu.cpu.length ? ` (${launcher.gpu.cpu.join(" ")})` : ""}`);
    if (!report.ok) c.out(msg(c.lang, "checkProblems"));
  }
  return report.ok ? 0 : 1;
}
