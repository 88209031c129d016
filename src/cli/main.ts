// The CLI shell: parse argv, run the command, render events, map errors to exit codes. Only this
// folder prints or sets exit codes.

import { BundleError, formatDiagnostic, interrupted, isBundleError, describeError } from "../core/errors.ts";
import { hostPath } from "../core/fs.ts";
import { FetchSession, withSession } from "../fetch/session.ts";
import { parseCommandLine } from "./args.ts";
import { IMPLEMENTATIONS } from "./commands/index.ts";
import type { CliContext } from "./context.ts";
import { jsonRenderer, plainRenderer, type Renderer } from "./render.ts";
import { commandHelp, mainHelp } from "./spec.ts";
import { greenbundleVersion } from "./version.ts";

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdoutIsTty: boolean;
  stderrIsTty: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

function processIo(): Io {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stdoutIsTty: Boolean(process.stdout.isTTY),
    // A terminal that reports no width (`script` writing to a file, some CI runners) gets plain
    // lines: the live view would be cut to zero columns and show nothing at all.
    stderrIsTty: Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) >= 20,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Runs the CLI and returns the exit code (never calls process.exit itself). */
export async function main(argv: readonly string[], io: Io = processIo(), signal?: AbortSignal): Promise<number> {
  const verbose = argv.includes("--verbose") || argv.includes("-v");
  const json = argv.includes("--json");
  let renderer: Renderer | undefined;
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === "version") {
      io.stdout(greenbundleVersion() + "\n");
      return 0;
    }
    if (parsed.kind === "help") {
      io.stdout((parsed.command ? commandHelp(parsed.command) : mainHelp(greenbundleVersion())) + "\n");
      return 0;
    }
    const impl = await IMPLEMENTATIONS[parsed.command.name]!();
    renderer = json ? jsonRenderer(io.stderr) : io.stderrIsTty && !verbose ? await ttyRenderer(io) : plainRenderer(io.stderr, verbose);
    const ctx: CliContext = {
      // Paths typed as \\?\C:\… on Windows: Node adds that prefix to file-system calls itself.
      args: parsed.args.map((a) => hostPath(a)),
      flags: Object.fromEntries(Object.entries(parsed.flags).map(([k, v]) => [k, typeof v === "string" ? hostPath(v) : v])),
      rest: parsed.rest,
      emit: renderer.emit,
      out: (s) => io.stdout(s.endsWith("\n") ? s : s + "\n"),
      json,
      verbose,
      env: io.env,
      cwd: io.cwd,
      signal: signal ?? new AbortController().signal,
      tty: io.stdoutIsTty,
    };
    // The command owns the HTTP session: its connections close when it ends, so the process exits
    // on its own instead of idling on keep-alive sockets.
    const session = new FetchSession();
    let code: number | void;
    try {
      code = await withSession(session, () => impl(ctx));
    } finally {
      await session.close();
    }
    renderer.close();
    return code ?? 0;
  } catch (e) {
    renderer?.close();
    // Ctrl+C surfaces as whatever the interrupted step threw (an AbortError, a killed child's
    // error): that is an interruption, not a bug in greenbundle.
    if (signal?.aborted && !isBundleError(e)) {
      return reportError(interrupted(e), io, { verbose, json });
    }
    return reportError(e, io, { verbose, json });
  }
}

async function ttyRenderer(io: Io): Promise<Renderer> {
  try {
    const { ttyRenderer: make } = await import("./render-tty.ts");
    return make(io.stderr);
  } catch {
    return plainRenderer(io.stderr);
  }
}

export function reportError(e: unknown, io: Pick<Io, "stderr">, opts: { verbose: boolean; json: boolean }): number {
  if (isBundleError(e)) {
    if (opts.json) {
      io.stderr(JSON.stringify({ type: "error", code: e.code, message: e.message, hint: e.hint, diagnostics: e.diagnostics, details: e.details }) + "\n");
    } else {
      const lines = [`error: ${e.message}`];
      for (const d of e.diagnostics) lines.push(formatDiagnostic(d));
      if (e.hint) lines.push(`hint: ${e.hint}`);
      if (opts.verbose && e.cause !== undefined) lines.push(`cause: ${e.cause instanceof Error ? (e.cause.stack ?? e.cause.message) : String(e.cause)}`);
      if (opts.verbose && e.stack) lines.push(e.stack);
      io.stderr(lines.join("\n") + "\n");
    }
    return e.exitCode;
  }
  // Not a BundleError: a bug in greenbundle. Say so, and how to report it.
  const msg = describeError(e);
  // Same shape as a BundleError's line, so that tools reading --json need one parser.
  if (opts.json) io.stderr(JSON.stringify({ type: "error", code: "INTERNAL", message: msg, hint: "this is a bug in greenbundle; run again with --verbose and report the output", diagnostics: [] }) + "\n");
  else {
    io.stderr(`internal error: ${msg}\n`);
    io.stderr(opts.verbose && e instanceof Error && e.stack ? `${e.stack}\n` : "hint: this is a bug in greenbundle; run again with --verbose and report the output\n");
  }
  return 1;
}

export { BundleError };
