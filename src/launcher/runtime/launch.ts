// A normal start: quick manifest check, path warnings, GPU rules and a
// free port (the three at once), then the app with an isolated environment; its output goes to
// the console and the log, the ready URL is polled, the browser opened, and Ctrl+C / window
// close / SIGTERM stop the whole tree. Exits with the app's code.

import { join } from "node:path";
import { constants } from "node:os";
import { BUNDLE_JSON, type ManifestEntry } from "../../contract/bundle-json.ts";
import { msg, type Lang } from "./i18n.ts";
import { Output } from "./log.ts";
import { allowedChanges, quickCheck, type CheckResult } from "./manifest.ts";
import { findFreePort } from "./port.ts";
import { chooseStart, failedStartFindings } from "./start-doctor.ts";
import { pathWarnings } from "./paths.ts";
import { buildEnv } from "./env.ts";
import { commandLine, placeholders, type Resolved } from "./resolve.ts";
import { reportFiles } from "./check.ts";
import { startApp, type AppExit, type RunningApp } from "./app.ts";
import { LineSplitter, recognise, type FailureKind } from "./failures.ts";
import { openBrowser, waitReady } from "./ready.ts";
import type { LoadedBundle } from "./config.ts";
import type { LauncherArgs } from "./args.ts";

export interface LaunchContext {
  lang: Lang;
  root: string;
  windows: boolean;
  bundle: LoadedBundle;
  resolved: Resolved;
  args: LauncherArgs;
  builderVersion: string;
  /** performance.now() when the launcher script began (after Node's bootstrap). */
  bootMs: number;
}

interface Prepared {
  port: number;
  gpuArgs: string[];
  /** Variables that pin the chosen GPU (--gpu N). */
  gpuEnv: Record<string, string>;
}

/** What must be known before the spawn (GPU arguments, the port), found concurrently; null: do not start. */
async function prepare(c: LaunchContext, out: Output): Promise<Prepared | null> {
  const { launcher } = c.bundle;
  const startPort = c.args.port ?? launcher.port;
  // The doctor's GPU items (driver, architecture, VRAM) choose the GPU or the CPU arguments.
  const [choice, port] = await Promise.all([chooseStart({ windows: c.windows, bundle: c.bundle, gpuIndex: c.args.gpu }), findFreePort(startPort)]);
  // Characters in the path now; path length needs the manifest, which is read after the spawn.
  for (const w of pathWarnings(c.root, 0, c.windows)) out.say(msg(c.lang, w.key, w.params), "warn");
  if (choice.gpu) out.say(msg(c.lang, "gpuFound", { name: choice.gpu.name, gb: (choice.gpu.memoryMiB / 1024).toFixed(1) }));
  else if (!choice.anyGpu) out.say(msg(c.lang, "noGpu"), "warn");
  if (choice.why.length) out.say([msg(c.lang, "cpuBecause", { args: choice.args.join(" ") || "-" }), ...choice.why].join("\n"), "warn");
  if (choice.args.length > 0) out.say(msg(c.lang, "extraArgs", { args: choice.args.join(" ") }));
  if (port === null) {
    out.say(msg(c.lang, "noPort", { from: startPort, to: Math.min(startPort + 99, 65535) }), "error");
    return null;
  }
  if (port !== startPort) out.say(msg(c.lang, "portShifted", { from: startPort, to: port }), "warn");
  return { port, gpuArgs: choice.args, gpuEnv: choice.env };
}

/**
 * The manifest is read and checked while the app starts (the app's imports take seconds; this a
 * fraction of that), so it never delays the spawn. Resolves to what it found (undefined: the
 * manifest could not be read).
 */
async function checkFiles(c: LaunchContext, out: Output): Promise<CheckResult | undefined> {
  await new Promise((r) => setImmediate(r)); // let the spawn's first events through first
  let files: ManifestEntry[];
  try {
    files = c.bundle.files();
  } catch (e) {
    // The app is already running: say why nothing was checked, and let it run.
    out.say(msg(c.lang, "badManifest", { path: join(c.root, BUNDLE_JSON), error: e instanceof Error ? e.message : String(e) }), "warn");
    return undefined;
  }
  const longest = files.reduce((m, f) => Math.max(m, f.path.length), 0);
  for (const w of pathWarnings(c.root, longest, c.windows)) if (w.key === "pathLong") out.say(msg(c.lang, w.key, w.params), "warn");
  const r = await quickCheck(c.root, files, allowedChanges(c.bundle.allowChanges));
  reportFiles(c.lang, r, (text, level) => out.say(text, level));
  out.note(`quick check: ${r.checked} files, ${r.missing.length} missing, ${r.changed.length} changed, at ${performance.now().toFixed(0)} ms`);
  return r;
}

/** Watches the app's output for failures it can explain, once per kind. */
function failureWatcher(c: LaunchContext, out: Output): (chunk: Buffer, stream: "stdout" | "stderr") => void {
  const seen = new Set<FailureKind>();
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  return (chunk, stream) => {
    out.app(chunk, stream);
    for (const line of splitters[stream].push(decoders[stream].decode(chunk, { stream: true }))) {
      const f = recognise(line);
      if (f && !seen.has(f.kind)) {
        seen.add(f.kind);
        out.say(msg(c.lang, f.key, f.params), "warn");
      }
    }
  };
}

/** Ctrl+C, SIGTERM, a closed terminal or console window: stop the tree. Returns a "stopped" probe. */
function handleSignals(c: LaunchContext, app: RunningApp, out: Output): () => boolean {
  let stopped = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!stopped) out.say(msg(c.lang, "stopping"));
    stopped = true;
    // Windows sends SIGHUP when the console window is closed and kills us seconds later.
    if (c.windows && sig === "SIGHUP") app.killTree();
    else app.stop();
  };
  const sigs: NodeJS.Signals[] = c.windows ? ["SIGINT", "SIGBREAK", "SIGHUP"] : ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of sigs) process.on(s, onSignal);
  // If the launcher dies for any other reason, the app does not outlive it.
  process.on("exit", () => app.killTree());
  return () => stopped;
}

function exitCode(e: AppExit): number {
  if (e.code !== null) return e.code;
  const signo = e.signal ? (constants.signals as Record<string, number>)[e.signal] : undefined;
  return signo ? 128 + signo : 1;
}

export async function launch(c: LaunchContext): Promise<{ code: number; stoppedByUser: boolean }> {
  const { launcher } = c.bundle;
  // On Windows this is the console window's title.
  if (c.windows) process.title = `${launcher.title} ${launcher.version}`;
  const out = new Output(process.env.GREENBUNDLE_NO_LOG ? undefined : join(c.root, "logs"), new Date());
  out.say(msg(c.lang, "starting", { title: launcher.title, version: launcher.version }));
  if (out.logPath) out.say(msg(c.lang, "logAt", { path: out.logPath }));
  else if (out.logError) out.say(msg(c.lang, "noLog", { error: out.logError }), "warn");
  const prep = await prepare(c, out);
  if (!prep) return { code: 1, stoppedByUser: false };
  const ph = placeholders(c.root, c.resolved, prep.port);
  const cmd = commandLine(launcher, ph, prep.gpuArgs, c.args.appArgs);
  const env = buildEnv({ inherited: process.env, windows: c.windows, placeholders: ph, pathFirst: c.resolved.pathFirst, repos: c.resolved.repos, pipIndexUrl: launcher.pipIndexUrl, recipeEnv: { ...launcher.env, ...prep.gpuEnv } });
  out.note(`command: ${JSON.stringify([cmd.file, ...cmd.args])} cwd: ${c.resolved.cwd}`);
  const app = startApp({ file: cmd.file, args: cmd.args, cwd: c.resolved.cwd, env, windows: c.windows, onOutput: failureWatcher(c, out) });
  // The launcher's own work ends here; it must stay well under 300 ms (bench/launcher-start.ts).
  const now = performance.now();
  out.note(`startup-ms: ${now.toFixed(1)} (node bootstrap ${c.bootMs.toFixed(1)}, launcher ${(now - c.bootMs).toFixed(1)}) pid: ${app.pid ?? "-"}`);
  const stopped = handleSignals(c, app, out);
  const missing = checkFiles(c, out);
  const done = new AbortController();
  void app.exited.finally(() => done.abort());
  // An app that is no server (a script) has no ready path: it runs until it ends.
  if (launcher.ready !== undefined) void waitReady(`http://127.0.0.1:${prep.port}${launcher.ready}`, done.signal).then(async (ready) => {
    if (!ready) return;
    const url = `http://127.0.0.1:${prep.port}/`;
    out.say(msg(c.lang, "ready", { url }));
    const opened = !c.args.noBrowser && !process.env.GREENBUNDLE_NO_BROWSER && (await openBrowser(url, c.windows));
    if (!opened && !c.args.noBrowser) out.say(msg(c.lang, "openBrowser", { url }));
  });
  const exit = await app.exited;
  if (exit.error) out.say(msg(c.lang, "spawnFailed", { cmd: cmd.file, error: exit.error.message }), "error");
  const code = exit.error ? 1 : exitCode(exit);
  if (code !== 0 && !stopped()) {
    out.say(msg(c.lang, "exited", { code }), "error");
    const files = await missing;
    const n = files?.missing.length ?? 0;
    if (n > 0) out.say(msg(c.lang, "exitedMissing", { count: n }), "error");
    const findings = await failedStartFindings({ root: c.root, windows: c.windows, bundle: c.bundle, resolved: c.resolved, gpuIndex: c.args.gpu, port: prep.port, files });
    if (findings.length) out.say([msg(c.lang, "doctorAfterFailure"), ...findings].join("\n"), "warn");
    if (out.logPath) out.say(msg(c.lang, "seeLog", { path: out.logPath }));
  } else out.note(`exit: ${code}`);
  out.close();
  return { code, stoppedByUser: stopped() };
}
