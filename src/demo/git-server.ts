// A git smart-HTTP server on 127.0.0.1 for tests and the demo world: a small Node server that runs
// `git http-backend` as a CGI program. It keeps a log of requests so tests can count fetches, and
// has fault switches: an HTTP error for every request (a mirror that is down) or for some (a flaky
// proxy), or no answer at all. Also makes fixture repositories with fixed dates, so their
// commit SHAs are the same on every run.

import { spawn } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { execa } from "execa";

export interface GitRequest {
  method: string;
  /** Path without the query string, e.g. /webui.git/git-upload-pack */
  path: string;
  query: string;
  status: number;
}

export interface GitServer {
  /** Base URL without a trailing slash; a repository at <root>/x.git is at `${url}/x.git`. */
  url: string;
  /** Every request, in arrival order. */
  log: GitRequest[];
  /** Upload-pack POSTs (each is one fetch or one ls-refs round of a fetch). */
  fetches(): number;
  /** Requests whose connection is still open (a client that was killed closes its own). */
  active(): number;
  /**
   * Answer every request with this HTTP status (e.g. 503), or with the fault's status or no
   * answer at all, for the requests `when` picks (e.g. firstRequestPerUrl() from
   * http-server.ts); undefined serves normally.
   */
  setFault(fault: number | GitFault | undefined): void;
  close(): Promise<void>;
}

export interface GitFault {
  /** Answer with this HTTP status. */
  status?: number;
  /** Never answer (a proxy that accepts the connection and hangs). */
  hang?: boolean;
  when?: (req: GitRequest) => boolean;
}

export interface GitServerOptions {
  /** Folder whose repositories (bare or not) are served. */
  root: string;
  /** git-http-backend program; default: `git --exec-path`/git-http-backend. */
  backend?: string;
}

export async function startGitServer(opts: GitServerOptions): Promise<GitServer> {
  const backend = opts.backend ?? join((await execa("git", ["--exec-path"])).stdout.trim(), "git-http-backend");
  const log: GitRequest[] = [];
  let fault: GitFault | undefined;
  let active = 0;
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    const entry: GitRequest = { method: req.method ?? "GET", path: decodeURIComponent(u.pathname), query: u.search.slice(1), status: 0 };
    log.push(entry);
    active++;
    res.on("close", () => active--);
    if (fault && (!fault.when || fault.when(entry))) {
      req.resume();
      if (fault.hang) return;
      const status = fault.status ?? 500;
      entry.status = status;
      res.writeHead(status, { "content-type": "text/plain" }).end(`fault injected: ${status}\n`);
      return;
    }
    runCgi(backend, opts.root, req, res, entry);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    fetches: () => log.filter((r) => r.method === "POST" && r.path.endsWith("/git-upload-pack")).length,
    active: () => active,
    setFault: (f) => void (fault = typeof f === "number" ? { status: f } : f),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function runCgi(backend: string, root: string, req: IncomingMessage, res: ServerResponse, entry: GitRequest): void {
  const u = new URL(req.url ?? "/", "http://x");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: "1",
    REQUEST_METHOD: req.method ?? "GET",
    PATH_INFO: decodeURIComponent(u.pathname),
    QUERY_STRING: u.search.slice(1),
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_ADDR: "127.0.0.1",
    // git gzips large request bodies; the backend must be told, or it reads garbage.
    ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"]) } : {}),
    ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
    ...(req.headers["content-length"] ? { CONTENT_LENGTH: String(req.headers["content-length"]) } : {}),
    GIT_CONFIG_NOSYSTEM: "1",
    HOME: root,
  };
  const child = spawn(backend, [], { env, stdio: ["pipe", "pipe", "pipe"] });
  req.pipe(child.stdin);
  child.stdin.on("error", () => {});
  let head = Buffer.alloc(0);
  let headerDone = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (headerDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const split = findHeaderEnd(head);
    if (!split) return;
    headerDone = true;
    const { status, headers } = parseCgiHeaders(head.subarray(0, split.at).toString("latin1"));
    entry.status = status;
    res.writeHead(status, headers);
    res.write(head.subarray(split.at + split.len));
  });
  child.stdout.on("end", () => {
    if (!headerDone) {
      entry.status = 502;
      res.writeHead(502).end("bad gateway: git http-backend wrote no headers\n");
    } else res.end();
  });
  child.on("error", () => {
    if (!res.headersSent) res.writeHead(500).end("cannot run git http-backend\n");
  });
  res.on("close", () => child.kill());
}

function findHeaderEnd(buf: Buffer): { at: number; len: number } | undefined {
  const crlf = buf.indexOf("\r\n\r\n");
  const lf = buf.indexOf("\n\n");
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, len: 4 };
  if (lf >= 0) return { at: lf, len: 2 };
  return undefined;
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    const name = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 200;
    else headers[name] = value;
  }
  return { status, headers };
}

// ---------------------------------------------------------------------------------------------
// Fixture repositories

export interface FixtureCommit {
  message: string;
  /** Files to write (path → content); `null` deletes the file. */
  files: Record<string, string | null>;
  /** Executable files among `files`. */
  exec?: string[];
  /** Symbolic links to write (path → target). */
  links?: Record<string, string>;
}

/** A fixed identity and clock, so the same fixture gives the same SHAs on every machine. */
export function fixtureGitEnv(i: number): NodeJS.ProcessEnv {
  const when = `${1_700_000_000 + i * 60} +0000`;
  return {
    GIT_AUTHOR_NAME: "Fixture",
    GIT_AUTHOR_EMAIL: "fixture@example.invalid",
    GIT_COMMITTER_NAME: "Fixture",
    GIT_COMMITTER_EMAIL: "fixture@example.invalid",
    GIT_AUTHOR_DATE: when,
    GIT_COMMITTER_DATE: when,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
  };
}

/**
 * Creates a bare repository `<root>/<name>` (e.g. "owner/repo.git") whose branch `branch` has the
 * given commits in order. Returns the commit SHAs, oldest first.
 */
export async function createFixtureRepo(root: string, name: string, commits: FixtureCommit[], branch = "main"): Promise<string[]> {
  const bare = join(root, name);
  const work = `${bare}.work`;
  await mkdir(work, { recursive: true });
  const git = (args: string[], i = 0) => execa("git", args, { cwd: work, env: fixtureGitEnv(i) });
  await git(["init", "-q", "-b", branch]);
  const shas: string[] = [];
  for (const [i, c] of commits.entries()) {
    for (const [path, content] of Object.entries(c.files)) {
      if (content === null) await git(["rm", "-q", "--", path]);
      else {
        await mkdir(dirname(join(work, path)), { recursive: true });
        await writeFile(join(work, path), content, { mode: c.exec?.includes(path) ? 0o755 : 0o644 });
        await git(["add", "--", path]);
      }
    }
    for (const [path, target] of Object.entries(c.links ?? {})) {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await symlink(target, join(work, path));
      await git(["add", "--", path]);
    }
    await git(["commit", "-q", "--allow-empty", "-m", c.message], i);
    shas.push((await git(["rev-parse", "HEAD"])).stdout.trim());
  }
  await execa("git", ["clone", "-q", "--bare", work, bare], { env: fixtureGitEnv(0) });
  return shas;
}
