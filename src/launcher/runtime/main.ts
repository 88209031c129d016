// The launcher: what end users double-click. Compiled into one executable per platform
// (src/launcher/index.ts); runs from source too, for tests:
// `GREENBUNDLE_BUNDLE_ROOT=<bundle> node src/launcher/runtime/main.ts [options]`.
// Node built-ins and the bundle.json contract (src/contract/) only, so that its own work before
// the app is spawned stays well under 300 ms.

import { isSea } from "node:sea";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs, type LauncherArgs } from "./args.ts";
import { detectLang, msg, type Lang } from "./i18n.ts";
import { bundleRoot } from "./paths.ts";
import { BUNDLE_FORMAT, BUNDLE_JSON, BundleJsonError } from "../../contract/bundle-json.ts";
import { UPDATE_DIR, UPDATE_JOURNAL } from "../../contract/update-json.ts";
import { loadBundle, type LoadedBundle } from "./config.ts";
import { resolveLauncher } from "./resolve.ts";
import { runCheck } from "./check.ts";
import { launch } from "./launch.ts";
import { runExec } from "./exec.ts";

/** Whether an interrupted update left its journal: one stat. */
function journalPending(root: string): boolean {
  return existsSync(join(root, UPDATE_DIR, UPDATE_JOURNAL));
}

/** When Node handed over to this script (ms since process start): Node's own bootstrap. */
const BOOT_MS = performance.now();

/** Replaced by the build with greenbundle's version (esbuild `define`). */
const BUILDER_VERSION = process.env.GREENBUNDLE_BUILDER_VERSION ?? "dev";

function langOf(env: NodeJS.ProcessEnv): Lang {
  // Intl costs a few milliseconds: ask it only when no POSIX locale variable decides (Windows).
  const posix = env.LC_ALL || env.LC_MESSAGES || env.LANG;
  return detectLang(env, posix ? undefined : Intl.DateTimeFormat().resolvedOptions().locale);
}

function helpText(lang: Lang, b: LoadedBundle | undefined, root: string): string {
  const exe = process.platform === "win32" ? "launcher.exe" : "./launcher";
  const l = b?.launcher;
  return msg(lang, "usage", { title: l?.title ?? "launcher", version: l?.version ?? "", exe, port: l?.port ?? 7860, logs: join(root, "logs") });
}

async function pauseIfDoubleClicked(code: number, stoppedByUser: boolean, always = false): Promise<void> {
  // A console opened by double-clicking closes with the process: keep it open so the message can
  // be read. Only on Windows, only at a console, and not when someone else drives the launcher.
  // An update dropped onto the launcher says what it did even when all went well.
  if (process.platform !== "win32" || (code === 0 && !always) || stoppedByUser || !process.stdin.isTTY || process.env.GREENBUNDLE_NO_PAUSE) return;
  process.stdout.write(`\n${msg(langOf(process.env), "pressEnter")}\n`);
  await new Promise<void>((resolve) => {
    process.stdin.once("data", () => resolve());
    process.stdin.resume();
  });
}

/** Why bundle.json cannot be used: a format this launcher does not read is said as such. */
function loadProblem(lang: Lang, path: string, e: unknown): string {
  if (e instanceof BundleJsonError && e.kind === "format") {
    const format = e.format === undefined ? "?" : JSON.stringify(e.format);
    return msg(lang, "unknownFormat", { path, format, reads: BUNDLE_FORMAT, builder: BUILDER_VERSION });
  }
  return msg(lang, "noBundleJson", { path, error: e instanceof Error ? e.message : String(e) });
}

async function run(argv: string[]): Promise<{ code: number; stoppedByUser: boolean; pause?: boolean }> {
  const env = process.env;
  const lang = langOf(env);
  const windows = process.platform === "win32";
  const parsed = parseArgs(argv);
  const root = bundleRoot(isSea(), process.execPath, env);
  if (!parsed.ok) {
    process.stderr.write(msg(lang, "badArgs", { error: parsed.error }) + "\n");
    return { code: 2, stoppedByUser: false };
  }
  const args: LauncherArgs = parsed.args;
  // An update or rollback that was interrupted is finished or undone before anything else (even
  // bundle.json may be switched out at that moment); the update code is loaded only then, or for
  // --update/--rollback, so a normal start stays fast.
  let update: { u: typeof import("./update.ts"); io: import("./update.ts").UpdateIo } | undefined;
  if (args.update !== undefined || args.rollback || journalPending(root)) {
    const u = await import("./update.ts");
    const say = (text: string, level: "info" | "warn" | "error" = "info"): void => {
      const prefix = level === "info" ? "[launcher] " : level === "warn" ? "[launcher] ! " : "[launcher] X ";
      (level === "info" ? process.stdout : process.stderr).write(text.split("\n").map((l) => prefix + l).join("\n") + "\n");
    };
    update = { u, io: { lang, root, say } };
    u.recover(update.io);
  }
  let bundle: LoadedBundle | undefined;
  let loadError: unknown;
  try {
    bundle = loadBundle(root);
  } catch (e) {
    loadError = e;
  }
  if (args.help) {
    process.stdout.write(helpText(lang, bundle, root) + "\n");
    return { code: 0, stoppedByUser: false };
  }
  if (!bundle) {
    process.stderr.write(loadProblem(lang, join(root, BUNDLE_JSON), loadError) + "\n");
    return { code: 1, stoppedByUser: false };
  }
  if (args.version) {
    const l = bundle.launcher;
    process.stdout.write(`${l.title} ${l.version} (${bundle.json.platform})\nlauncher: greenbundle ${BUILDER_VERSION}, node ${process.version}\n`);
    return { code: 0, stoppedByUser: false };
  }
  if (update) {
    if (args.update !== undefined) return { code: await update.u.applyUpdate(update.io, resolve(args.update)), stoppedByUser: false, pause: true };
    if (args.rollback) return { code: await update.u.rollback(update.io), stoppedByUser: false, pause: true };
  }
  const resolved = resolveLauncher(root, bundle.launcher, env, windows);
  if (args.check) {
    const out = (line: string): void => void process.stdout.write(line + "\n");
    const opts = { ...(args.json ? { json: true } : {}), ...(args.gpu !== undefined ? { gpuIndex: args.gpu } : {}), ...(args.port !== undefined ? { port: args.port } : {}) };
    return { code: await runCheck({ lang, root, windows, bundle, resolved, builderVersion: BUILDER_VERSION, out, ...opts }), stoppedByUser: false };
  }
  if (args.exec || args.shell) {
    const say = (line: string): void => void process.stderr.write(`[launcher] ${line}\n`);
    // No "press Enter" afterwards: the command ran in a console someone opened to type in.
    return { code: await runExec({ lang, root, windows, bundle, resolved, command: args.exec ? args.appArgs : [], env, say }), stoppedByUser: true };
  }
  return launch({ lang, root, windows, bundle, resolved, args, builderVersion: BUILDER_VERSION, bootMs: BOOT_MS });
}

run(process.argv.slice(2)).then(
  async ({ code, stoppedByUser, pause }) => {
    await pauseIfDoubleClicked(code, stoppedByUser, pause);
    process.exit(code);
  },
  async (e: unknown) => {
    process.stderr.write(`[launcher] X internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    await pauseIfDoubleClicked(1, false);
    process.exit(1);
  },
);
