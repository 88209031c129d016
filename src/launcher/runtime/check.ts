// `launcher --check`: an environment report and a full sha256 check of the manifest, then exit.
// Exit code 0 when everything is in order, 1 otherwise.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE_JSON, type ManifestEntry } from "../../contract/bundle-json.ts";
import { msg, type Lang } from "./i18n.ts";
import { allowedChanges, fullCheck, type CheckResult } from "./manifest.ts";
import { chooseGpuArgs, detectGpus } from "./gpu.ts";
import { findFreePort } from "./port.ts";
import { pathWarnings } from "./paths.ts";
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
}

async function reportGpu(c: CheckContext): Promise<void> {
  const gpus = await detectGpus(c.windows, process.env);
  const choice = chooseGpuArgs(gpus, c.bundle.launcher.gpu);
  for (const g of gpus ?? []) c.out(msg(c.lang, "gpuFound", { name: g.name, gb: (g.memoryMiB / 1024).toFixed(1) }));
  if (!choice.gpu) c.out(msg(c.lang, "noGpu"));
  c.out(`gpu args: ${choice.args.join(" ") || "(none)"}`);
}

export async function runCheck(c: CheckContext): Promise<number> {
  const { json, launcher, allowChanges } = c.bundle;
  let ok = true;
  c.out(`${launcher.title} ${launcher.version} (${json.platform})`);
  c.out(`bundle:   ${c.root}`);
  c.out(`launcher: greenbundle ${c.builderVersion}, node ${process.version}, ${process.platform}-${process.arch}`);
  let files: ManifestEntry[];
  try {
    files = c.bundle.files();
  } catch (e) {
    c.out(`X ${msg(c.lang, "badManifest", { path: join(c.root, BUNDLE_JSON), error: e instanceof Error ? e.message : String(e) })}`);
    return 1;
  }
  const longest = files.reduce((m, f) => Math.max(m, f.path.length), 0);
  for (const w of pathWarnings(c.root, longest, c.windows)) c.out(`! ${msg(c.lang, w.key, w.params)}`);
  const pythonOk = existsSync(c.resolved.python);
  ok &&= pythonOk;
  c.out(`python:   ${c.resolved.python} ${pythonOk ? "ok" : "MISSING"}`);
  c.out(`git:      ${c.resolved.git}${launcher.git === null ? " (from PATH)" : existsSync(c.resolved.git) ? " ok" : " MISSING"}`);
  await reportGpu(c);
  const port = await findFreePort(launcher.port);
  c.out(`port:     ${port === launcher.port ? `${port} free` : port === null ? "no free port" : msg(c.lang, "portShifted", { from: launcher.port, to: port })}`);
  c.out(msg(c.lang, "checkHeader", { count: files.length }));
  const tty = process.stdout.isTTY;
  let last = 0;
  const r = await fullCheck(c.root, files, allowedChanges(allowChanges), (done) => {
    if (tty && Date.now() - last > 500) {
      last = Date.now();
      process.stdout.write(`\r${done}/${files.length}`);
    }
  });
  if (tty) process.stdout.write("\r");
  ok = reportFiles(c.lang, r, (text, level) => c.out(level === "error" ? `X ${text}` : `! ${text}`)) && ok;
  c.out(msg(c.lang, ok ? "checkOk" : "checkProblems"));
  return ok ? 0 : 1;
}
