// bundle verify <archive-or-folder> [--gpu auto|require|off] [--timeout S] [--report DIR] [--keep]

import { join, resolve } from "node:path";
import { prepareOutDir } from "../../assemble/dist.ts";
import { BundleError } from "../../core/errors.ts";
import { thisHost } from "../../core/platform.ts";
import { reportDirProblem, summarize } from "../../verify/report.ts";
import { MAX_TIMEOUT_S } from "../../verify/verify-boot.ts";
import { verifyBundle, type GpuMode, type VerifyOutcome } from "../../verify/verify.ts";
import type { CliContext } from "../context.ts";
import { greenbundleVersion } from "../version.ts";

export async function run(ctx: CliContext): Promise<number> {
  const outcome = await runVerify(ctx, ctx.args[0]!);
  if (!outcome.ok) throw failure(outcome);
  return 0;
}

/** Verifies and prints the summary; the caller decides what a failure means (`bundle demo` shares this). */
export async function runVerify(ctx: CliContext, input: string, show: { reportLine?: boolean } = {}): Promise<VerifyOutcome> {
  const f = ctx.flags;
  const timeout = f.timeout === undefined ? undefined : Number(f.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
    throw new BundleError("USAGE", `--timeout ${String(f.timeout)} is not a number of seconds`, { hint: "e.g. --timeout 600" });
  }
  if (timeout !== undefined && timeout > MAX_TIMEOUT_S) {
    throw new BundleError("USAGE", `--timeout ${String(f.timeout)} is more than a day (${MAX_TIMEOUT_S} s)`, { hint: "e.g. --timeout 3600" });
  }
  // Before a boot that can take many minutes: the report must have somewhere to go, and must not
  // replace a folder that holds anything but an earlier report.
  const reportDir = typeof f.report === "string" ? resolve(ctx.cwd, f.report) : undefined;
  const problem = reportDir ? await reportDirProblem(reportDir) : undefined;
  if (problem) throw new BundleError("USAGE", `--report ${String(f.report)}: will not write the report into ${reportDir}: ${problem}`, { hint: "name a new or empty folder with --report DIR" });
  await prepareOutDir(reportDir ?? join(ctx.cwd, "dist"), "report folder", "name a writable folder with --report DIR");
  const host = thisHost();
  const outcome = await verifyBundle({
    input: resolve(ctx.cwd, input),
    gpu: ((f.gpu as string | undefined) ?? "auto") as GpuMode,
    ...(timeout !== undefined ? { timeoutS: timeout } : {}),
    ...(reportDir ? { reportDir } : {}),
    keep: f.keep === true,
    ...(typeof f.update === "string" ? { update: resolve(ctx.cwd, f.update) } : {}),
    // the CLI is where the host is looked at
    hostPlatform: host.platform,
    hostLabel: host.label,
    allowNetns: process.platform === "linux",
    cwd: ctx.cwd,
    env: ctx.env,
    toolVersion: greenbundleVersion(),
    emit: ctx.emit,
    signal: ctx.signal,
  });
  if (ctx.json) ctx.out(JSON.stringify({ ok: outcome.ok, reportDir: outcome.reportDir, report: outcome.report }, null, 2));
  else {
    const kept = outcome.report.copy.kept ? [`kept:   ${outcome.copy}`] : [];
    const report = show.reportLine === false ? [] : ["", `report: ${outcome.reportDir}/report.html`];
    ctx.out([summarize(outcome.report), ...report, ...kept].join("\n"));
  }
  return outcome;
}

export function failure(o: VerifyOutcome): BundleError {
  const failed = o.report.checks.filter((c) => c.status === "fail");
  // The first failure's detail says what went wrong without opening the report (CI logs keep stderr).
  const first = failed[0]?.detail ?? "";
  const why = first ? ` — ${first.length > 300 ? `${first.slice(0, 299)}…` : first}` : "";
  return new BundleError("VERIFY", `verification failed: ${failed.map((c) => c.title).join(", ")}${why}`, {
    hint: `read ${o.reportDir}/report.html (and app.log next to it)`,
    details: { reportDir: o.reportDir, failed: o.report.failed },
  });
}
