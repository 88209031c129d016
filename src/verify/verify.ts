// `bundle verify <archive-or-folder>`: unpack into an
// awkward path, check the manifest, boot through the bundle's own launcher with the network cut
// off, generate a test image through the app's API, check it, stop the app, compare the tree,
// and write the report. Every stage adds checks; a stage that leaves nothing to boot halts the
// run and the rest are reported as skipped. The report is written whatever happened.

import { createHash } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { BUNDLE_FORMAT, BUNDLE_JSON, BundleJsonError, parseBundleJson, type BundleJson } from "../contract/bundle-json.ts";
import { BundleError, describeError, interrupted } from "../core/errors.ts";
import { silent } from "../core/events.ts";
import { cannotBoot, PLATFORM_FACTS, type Platform } from "../core/platform.ts";
import { PACKERS, withoutArchiveExtension } from "../pack/registry.ts";
import { openZip, readZipEntry } from "../pack/zip-read.ts";
import { parseUpdateJson, UPDATE_DIR, UPDATE_JSON, type UpdateJson } from "../contract/update-json.ts";
import { VERIFY_API, verifyApi } from "./apis.ts";
import { CHECK_ORDER, check } from "./checks.ts";
import { checkManifest, describeManifestProblem } from "./manifest.ts";
import { writeReport } from "./report.ts";
import { REPORT_FORMAT, type Check, type VerifyReport } from "./report-types.ts";
import { Halt, since, type Run, type VerifyOptions } from "./run.ts";
import { inspectSource, makeWorkDir, peekPlatform, unpackSource, type SourceInfo } from "./source.ts";
import { snapshotTree } from "./tree.ts";
import { bootAndCheck, changes } from "./verify-boot.ts";

export interface VerifyOutcome {
  ok: boolean;
  report: VerifyReport;
  reportDir: string;
  /** The bundle copy that was booted (removed unless `keep`). */
  copy: string;
}

export async function verifyBundle(opts: VerifyOptions): Promise<VerifyOutcome> {
  const t0 = performance.now();
  const emit = opts.emit ?? silent;
  const src = await inspectSource(opts.input); // a missing input is a usage error, not a report
  const run: Run = { opts, emit, report: emptyReport(src, opts), torch: null };
  try {
    await stage(run, "unpack", () => unpack(run, src));
    if (opts.update) await stage(run, "update", () => applyUpdate(run, opts.update!));
    await stage(run, "manifest", () => manifest(run));
    await stage(run, "boot", () => bootOrHalt(run));
    await stage(run, "changes", () => changes(run));
  } catch (e) {
    if (opts.signal?.aborted) throw interrupted(e, "verify interrupted: the app was stopped and the unpacked copy removed", "run verify again");
    if (!(e instanceof Halt)) throw e;
  } finally {
    if (run.work && !opts.keep) await rm(run.work, { recursive: true, force: true }).catch(() => undefined);
  }
  const r = run.report;
  for (const id of CHECK_ORDER) if (!r.checks.some((c) => c.id === id) && (id !== "update" || opts.update)) r.checks.push(check(id, "skip", `not run: ${firstFailure(r.checks)}`));
  r.checks.sort((a, b) => CHECK_ORDER.indexOf(a.id) - CHECK_ORDER.indexOf(b.id));
  r.failed = r.checks.filter((c) => c.status === "fail").map((c) => c.id);
  r.ok = r.failed.length === 0;
  r.timings.total = since(t0);
  const reportDir = opts.reportDir ?? join(opts.cwd, "dist", `verify-${r.bundle ? `${r.bundle.name}-${r.bundle.version}-${r.bundle.platform}` : withoutArchiveExtension(basename(src.path).replace(/\.\d{3}$/, ""))}`);
  try {
    await writeReport(reportDir, r, { ...(run.png ? { png: run.png } : {}), ...(run.log !== undefined ? { log: run.log } : {}) });
  } catch (e) {
    // The verdict must not vanish with the report: say it, then why the report is missing.
    if (!(e instanceof BundleError)) throw e;
    const verdict = r.ok ? "verification passed" : `verification failed (${r.failed.join(", ")})`;
    throw new BundleError(e.code === "USAGE" ? "IO" : e.code, `${verdict}, but ${e.message}`, { ...(e.hint ? { hint: e.hint } : {}), cause: e });
  }
  return { ok: r.ok, report: r, reportDir, copy: r.copy.path };
}

/** A boot that could not even start (no driver result) is a failed check, not a crash: the report still gets written. */
async function bootOrHalt(run: Run): Promise<void> {
  try {
    await bootAndCheck(run);
  } catch (e) {
    if (!(e instanceof BundleError) || e.code !== "VERIFY") throw e;
    run.report.checks.push(check("ready", "fail", e.message, e.hint ? [e.hint] : undefined));
    throw new Halt();
  }
}

function firstFailure(checks: Check[]): string {
  const f = checks.find((c) => c.status === "fail");
  return f ? `${f.title} failed` : "an earlier step stopped the run";
}

async function stage(run: Run, name: string, fn: () => Promise<void>): Promise<void> {
  run.opts.signal?.throwIfAborted();
  run.emit({ type: "stage", stage: `verify: ${name}`, status: "start" });
  await fn();
  run.emit({ type: "stage", stage: `verify: ${name}`, status: "done" });
}

function emptyReport(src: SourceInfo, opts: VerifyOptions): VerifyReport {
  return {
    format: REPORT_FORMAT,
    ok: false,
    tool: { name: "greenbundle", version: opts.toolVersion },
    bundle: null,
    source: { path: src.path, kind: src.kind, ...(src.bytes !== undefined ? { bytes: src.bytes } : {}), ...(src.sha256 ? { sha256: src.sha256 } : {}) },
    copy: { path: "", kept: Boolean(opts.keep) },
    offline: { method: "none", detail: "not booted", attempts: [] },
    timings: { extract: null, manifest: null, ready: null, generate: null, stop: null, total: 0 },
    gpu: { mode: opts.gpu, torch: null, memory: null, used: null, detail: "not checked" },
    request: null,
    image: null,
    changes: null,
    log: null,
    checks: [],
    failed: [],
  };
}

function sourceCheck(src: SourceInfo): Check {
  if (src.kind === "folder") return check("source", "skip", "a folder was given: no archive to check (it is copied, never booted in place)");
  const v = src.sums?.verdict;
  const vols = src.volumes;
  const what = vols ? `${src.kind} in ${vols.length} volumes, ${src.bytes} bytes` : `${src.kind}, ${src.bytes} bytes, sha256 ${src.sha256}`;
  const crc = PACKERS[src.kind].integrity;
  if (!v) return check("source", "pass", `${what} (no SHA256SUMS next to it); ${crc}`);
  if (v.state === "match") return check("source", "pass", `${what} ${vols ? "each match" : "matches"} ${src.sums!.file}; ${crc}`);
  const name = src.sums!.name;
  const sha = vols ? vols.find((x) => basename(x.path) === name)?.sha256 : src.sha256;
  if (v.state === "mismatch") return check("source", "fail", `sha256 of ${name} ${sha} differs from ${v.expected} in ${src.sums!.file}: the ${vols ? "volume" : "archive"} is damaged or not the released one`);
  return check("source", "fail", `${src.sums!.file} does not list ${name}`, v.listed);
}

async function unpack(run: Run, src: SourceInfo): Promise<void> {
  const r = run.report;
  r.checks.push(sourceCheck(src));
  const early = await peekPlatform(src);
  if (early !== undefined) refuseForeign(run, early);
  run.work = await makeWorkDir(run.opts.tmpRoot ?? tmpdir());
  r.copy.path = run.work;
  const t = performance.now();
  try {
    const u = await unpackSource(src, run.work, run.opts.signal);
    run.root = u.root;
    run.top = src.kind === "folder" ? null : (u.top ?? "");
    r.copy.path = u.root;
    r.timings.extract = since(t);
    const what = src.kind === "folder" ? "copied" : `unpacked ${u.files} files (${(u.bytes / 2 ** 20).toFixed(1)} MiB)`;
    r.checks.push(check("extract", "pass", `${what} in ${r.timings.extract.toFixed(2)} s into ${u.root}`));
  } catch (e) {
    if (e instanceof BundleError && e.code === "USAGE") throw e;
    r.checks.push(check("extract", "fail", describeError(e)));
    throw new Halt();
  }
  await readBundleJson(run);
}

async function readBundleJson(run: Run): Promise<void> {
  const r = run.report;
  let bj: BundleJson;
  try {
    bj = parseBundleJson(await readFile(join(run.root!, BUNDLE_JSON), "utf8"));
  } catch (e) {
    if (!(e instanceof BundleJsonError) || e.kind === "syntax") {
      r.checks.push(check("bundle", "fail", `${BUNDLE_JSON} is unreadable: ${e instanceof BundleJsonError ? e.summary : describeError(e)}`));
      throw new Halt();
    }
    const why = e.kind === "format" ? `its format is ${JSON.stringify(e.format) ?? "missing"}, this greenbundle reads ${BUNDLE_FORMAT}` : e.summary;
    r.checks.push(check("bundle", "fail", `${BUNDLE_JSON} is not one greenbundle wrote: ${why}`, ["rebuild the bundle with `bundle build`; bundle.json is written by the builder, not by hand"]));
    throw new Halt();
  }
  run.bj = bj;
  r.bundle = { name: bj.name, version: bj.version, platform: bj.platform, title: bj.title };
  refuseForeign(run, bj.platform);
  // A release archive holds one top folder, `<name>-<version>-<platform>/`, so that "extract here"
  // never spills the bundle's files among the user's.
  const wantTop = `${bj.name}-${bj.version}-${bj.platform}`;
  if (run.top !== null && run.top !== undefined && run.top !== wantTop) {
    const what = run.top === "" ? "its files lie at its top" : `its top folder is "${run.top}/"`;
    r.checks.push(check("bundle", "fail", `the archive must hold one top folder "${wantTop}/", but ${what}`, ["pack it again with `bundle build` (every archive it writes has that folder)"]));
    throw new Halt();
  }
  const apiName = bj.verify?.api ?? "a1111";
  run.api = verifyApi(apiName);
  if (!run.api) {
    r.checks.push(check("bundle", "fail", `verify.api is ${JSON.stringify(apiName)}, which this greenbundle cannot drive (it knows ${Object.keys(VERIFY_API).join(", ")})`, ["verify the bundle with the greenbundle that built it, or a newer one"]));
    throw new Halt();
  }
  const problems = run.api.problems?.(bj) ?? [];
  if (problems.length > 0) {
    r.checks.push(check("bundle", "fail", `the verify block of ${BUNDLE_JSON} is not one verify.api ${apiName} can use`, problems));
    throw new Halt();
  }
  r.checks.push(check("bundle", "pass", `${bj.name} ${bj.version} for ${bj.platform}, ${bj.components.length} components, ${bj.files.length} files; API ${apiName}${bj.verify ? "" : " (no verify block: defaults used)"}`));
}

/** A bundle runs only on the platform it was built for (OS and architecture): said before anything is booted. */
function refuseForeign(run: Run, platform: string): void {
  const host = run.opts.hostPlatform;
  const label = run.opts.hostLabel ?? host ?? "unknown";
  const why = cannotBoot(platform, { platform: host, label });
  if (why === undefined) return;
  const hint = `run bundle verify on a ${platform} machine`;
  run.report.checks.push(check("bundle", "fail", `${why}: the bundle is for ${platform}; this machine is ${label}`, [hint]));
  throw new Halt();
}

/**
 * `--update FILE`: the update is applied to the unpacked old release by the release's own launcher
 * (`launcher --update`, as an end user would), and the bundle.json it leaves must be the one the
 * update names; the manifest check that follows compares the tree with the new manifest.
 */
async function applyUpdate(run: Run, file: string): Promise<void> {
  const r = run.report;
  const fail = (detail: string, items?: string[]): never => {
    r.checks.push(check("update", "fail", detail, items));
    throw new Halt();
  };
  let u: UpdateJson;
  try {
    const { zip, items } = await openZip(file);
    try {
      const item = items.find((i) => i.name === UPDATE_JSON);
      if (!item) return fail(`${file} holds no ${UPDATE_JSON}: it is not an update file bundle delta wrote`);
      u = parseUpdateJson((await readZipEntry(file, zip, item)).toString("utf8"));
    } finally {
      zip.close();
    }
  } catch (e) {
    if (e instanceof Halt) throw e;
    return fail(`${file} cannot be read: ${describeError(e)}`);
  }
  const bj = run.bj!;
  if (u.name !== bj.name || u.platform !== bj.platform || u.from !== bj.version) fail(`the update goes from ${u.name} ${u.from} (${u.platform}) to ${u.to}, the release is ${bj.name} ${bj.version} (${bj.platform})`);
  const exe = join(run.root!, bj.launcher.name + PLATFORM_FACTS[bj.platform].exe);
  const { execa } = await import("execa");
  const p = await execa(exe, ["--update", file], { reject: false, all: true, env: { ...run.opts.env, GREENBUNDLE_NO_PAUSE: "1" }, timeout: 30 * 60_000, ...(run.opts.signal ? { cancelSignal: run.opts.signal } : {}) });
  const said = (p.all ?? "").split("\n").filter(Boolean).slice(-20);
  if (p.exitCode !== 0) fail(`launcher --update exited ${p.exitCode ?? p.signal}`, said);
  const text = await readFile(join(run.root!, BUNDLE_JSON));
  const sha = createHash("sha256").update(text).digest("hex");
  if (sha !== u.to_manifest) fail(`after launcher --update, bundle.json is not the one of ${u.to} (sha256 ${sha}, the update names ${u.to_manifest})`, said);
  const next = parseBundleJson(text.toString("utf8"));
  run.bj = next;
  r.bundle = { name: next.name, version: next.version, platform: next.platform, title: next.title };
  const changed = u.files.length;
  r.checks.push(check("update", "pass", `${u.from} → ${u.to} applied by the release's launcher (${changed} files in the update); the checks below are of ${u.to}`, said));
}

/** What a launcher's update leaves in the bundle besides the release: its kept files and its log. */
const UPDATE_LEFTOVERS = (path: string): boolean => path.startsWith(`${UPDATE_DIR}/`) || path === "logs/updates.log";

async function manifest(run: Run): Promise<void> {
  const t = performance.now();
  run.before = await snapshotTree(run.root!, run.opts.signal ? { signal: run.opts.signal } : {});
  const tree = run.opts.update ? new Map([...run.before].filter(([path]) => !UPDATE_LEFTOVERS(path))) : run.before;
  const m = checkManifest(run.bj!.files, tree, { checkExec: PLATFORM_FACTS[run.bj!.platform as Platform]?.execBit ?? true });
  run.report.timings.manifest = since(t);
  if (m.ok) {
    run.report.checks.push(check("manifest", "pass", `all ${m.files} files present with the size and sha256 in bundle.json (${(m.bytes / 2 ** 20).toFixed(1)} MiB hashed in ${run.report.timings.manifest.toFixed(2)} s)`));
    return;
  }
  run.report.checks.push(check("manifest", "fail", `${m.problems.length} file(s) differ from bundle.json: a partial unzip, a quarantined file or a broken build`, m.problems.map(describeManifestProblem)));
  throw new Halt();
}

export type { GpuMode, VerifyOptions } from "./run.ts";
