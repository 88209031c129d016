// Writing the verify report: report.json for machines and release notes, report.html for people
// (self-contained: the image is a data: URL), the image itself and the app's log (report-types.ts
// has the report's shape). Written into a temporary folder and renamed into place, so a report
// folder is always one whole run.

import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { BundleError } from "../core/errors.ts";
import { replaceDir, tmpSibling, whyUnwritable } from "../core/fs.ts";
import { renderReportHtml } from "./report-html.ts";
import type { CheckStatus, VerifyReport } from "./report-types.ts";

export interface ReportFiles {
  png?: Buffer;
  log?: string;
}

/** What a report folder holds. */
const REPORT_FILES = new Set(["report.json", "report.html", "image.png", "app.log"]);

/**
 * Why `dir` cannot take a report, or undefined when it is absent, empty or an earlier report (it
 * has a report.json). The report replaces its folder as a whole, so `--report .` or
 * `--report dist` must be refused before they are wiped.
 */
export async function reportDirProblem(dir: string): Promise<string | undefined> {
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? undefined : await whyUnwritable(dir, e);
  }
  if (!isDir) return "it is a file";
  const names = await readdir(dir);
  const other = names.filter((n) => !REPORT_FILES.has(n));
  if (other.length === 0 || names.includes("report.json")) return undefined;
  return `it holds other files (${other.slice(0, 3).join(", ")}${other.length > 3 ? ", …" : ""}), which writing the report would replace`;
}

/** Writes the report folder, replacing an earlier one whole (the CLI refuses other folders up front: reportDirProblem). */
export async function writeReport(dir: string, report: VerifyReport, files: ReportFiles): Promise<void> {
  const tmp = tmpSibling(dir);
  try {
    await mkdir(dirname(dir), { recursive: true });
    await mkdir(tmp);
    await writeFile(join(tmp, "report.json"), JSON.stringify(report, null, 2) + "\n");
    await writeFile(join(tmp, "report.html"), renderReportHtml(report, files.png));
    if (files.png) await writeFile(join(tmp, "image.png"), files.png);
    if (files.log !== undefined) await writeFile(join(tmp, "app.log"), files.log);
    await replaceDir(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw new BundleError("IO", `cannot write the report to ${dir}: ${await whyUnwritable(dir, e)}`, { hint: "name a writable folder with --report DIR", cause: e });
  }
}

/** The plain-text summary the CLI prints: one line per check, failures with their items. */
export function summarize(report: VerifyReport, maxItems = 12): string {
  const mark: Record<CheckStatus, string> = { pass: "PASS", fail: "FAIL", warn: "WARN", skip: "SKIP" };
  const lines: string[] = [];
  for (const c of report.checks) {
    lines.push(`${mark[c.status]}  ${c.title}: ${c.detail}`);
    if ((c.status === "fail" || c.status === "warn") && c.items?.length) {
      for (const item of c.items.slice(0, maxItems)) lines.push(`        ${item}`);
      if (c.items.length > maxItems) lines.push(`        … ${c.items.length - maxItems} more in report.json`);
    }
  }
  return lines.join("\n");
}
