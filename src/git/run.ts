// Running the system git (repositories are fetched and placed with the host's git). One place that
// decides the environment: network commands keep the user's configuration (proxies, insteadOf
// rules for GitHub mirrors), while commands that write what goes into a bundle ignore it, so
// that a maintainer's ~/.gitconfig (pack.compression, core.autocrlf, ...) cannot change bytes.

import { OWN_GROUP, tieGroup } from "../core/children.ts";
import { BundleError, describeError, interrupted } from "../core/errors.ts";
import { proxyEnv } from "../fetch/session.ts";
import { gitReason } from "./outcome.ts";

export interface GitRunOptions {
  cwd?: string;
  /** Extra environment (GIT_DIR, GIT_WORK_TREE, ...). */
  env?: NodeJS.ProcessEnv;
  /** Ignore system and global configuration (for anything that writes bundle content). */
  isolated?: boolean;
  input?: string;
  signal?: AbortSignal;
  /** Return a failed result instead of throwing. */
  reject?: boolean;
  /** Base environment (defaults to process.env). */
  baseEnv?: NodeJS.ProcessEnv;
  /**
   * A command that talks to a remote (fetch, ls-remote): its transport helpers do the talking, so
   * it runs in its own process group that an abort stops as a whole (a signal to git alone leaves
   * git-remote-http holding the connection until its stall timeout). Local commands stay in ours,
   * where a terminal's Ctrl+C or a kill of the whole group reaches them directly.
   */
  network?: boolean;
}

export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Environment shared by every git call: never prompt, never page, English messages to parse. The
 * proxy settings are the ones file downloads use (src/fetch/session.ts: HTTPS_PROXY, HTTP_PROXY and
 * NO_PROXY are honoured), spelled the way git's curl reads them: curl ignores an
 * upper-case HTTP_PROXY, and it would send loopback and LAN mirrors named in NO_PROXY's loopback
 * defaults to the proxy, where files bypass it.
 */
export function gitEnv(opts: GitRunOptions): NodeJS.ProcessEnv {
  const base = opts.baseEnv ?? process.env;
  const env: NodeJS.ProcessEnv = {
    ...base,
    GIT_TERMINAL_PROMPT: "0",
    GIT_PAGER: "cat",
    LC_ALL: "C",
    LANGUAGE: "C",
    GIT_OPTIONAL_LOCKS: "0",
  };
  const proxy = proxyEnv(base);
  if (proxy.httpProxy || proxy.httpsProxy) {
    for (const k of ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"]) delete env[k];
    if (proxy.httpProxy) env.http_proxy = proxy.httpProxy;
    if (proxy.httpsProxy) env.https_proxy = proxy.httpsProxy;
    env.no_proxy = proxy.noProxy;
  }
  if (opts.isolated) {
    env.GIT_CONFIG_NOSYSTEM = "1";
    env.GIT_CONFIG_GLOBAL = "/dev/null";
    delete env.GIT_DIR;
    delete env.GIT_WORK_TREE;
    delete env.GIT_INDEX_FILE;
  }
  return { ...env, ...opts.env };
}

/** Runs `git <args>`. Failures become BundleError GIT unless `reject: false`. */
export async function git(args: string[], opts: GitRunOptions = {}): Promise<GitResult> {
  const { execa } = await import("execa");
  let r;
  let untie = () => {};
  try {
    const sub = execa("git", args, {
      cwd: opts.cwd,
      env: gitEnv(opts),
      extendEnv: false,
      reject: false,
      stripFinalNewline: false,
      ...(opts.network ? OWN_GROUP : opts.signal ? { cancelSignal: opts.signal } : {}),
      ...(opts.input !== undefined ? { input: opts.input } : { stdin: "ignore" as const }),
    });
    if (opts.network) untie = tieGroup(sub.pid, opts.signal);
    r = await sub;
  } catch (e) {
    throw new BundleError("GIT", `cannot run git ${args[0]}: ${describeError(e)}`, { cause: e, hint: "install git and make sure it is on PATH" });
  } finally {
    untie();
  }
  if (opts.signal?.aborted) throw interrupted(opts.signal.reason);
  if ((r as { failed?: boolean }).failed && r.exitCode === undefined) {
    const cause = (r as { cause?: unknown }).cause;
    throw new BundleError("GIT", `cannot run git: ${describeError(cause ?? r)}`, { cause, hint: "install git (https://git-scm.com) and make sure it is on PATH" });
  }
  const result = { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
  if (result.exitCode !== 0 && opts.reject !== false) {
    throw new BundleError("GIT", `git ${args.join(" ")} failed (exit ${result.exitCode}): ${gitReason(result.stderr)}`, {
      details: { args, stderr: result.stderr, cwd: opts.cwd },
    });
  }
  return result;
}

let versionChecked: Promise<string> | undefined;

/** Checks once that git is installed and new enough for protocol v2 fetches by SHA. */
export function requireGit(): Promise<string> {
  versionChecked ??= (async () => {
    const r = await git(["--version"], { reject: false, isolated: true });
    const m = /git version (\d+)\.(\d+)/.exec(r.stdout);
    if (r.exitCode !== 0 || !m) {
      throw new BundleError("GIT", "git was not found on PATH", { hint: "install git 2.29 or newer (https://git-scm.com) — repositories are fetched with it" });
    }
    const [maj, min] = [Number(m[1]), Number(m[2])];
    if (maj < 2 || (maj === 2 && min < 29)) {
      throw new BundleError("GIT", `git ${maj}.${min} is too old`, { hint: "install git 2.29 or newer: fetching a pinned commit needs protocol v2" });
    }
    return r.stdout.trim();
  })();
  versionChecked.catch(() => (versionChecked = undefined));
  return versionChecked;
}
