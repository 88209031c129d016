// The launcher's command line: --help, --version, --check [--json], --no-browser, --port N,
// --gpu N, and `--` to pass the rest to the app; `--exec -- <program> [args…]` and `--shell`
// (exec.ts). Pure, so it is unit-tested.

export interface LauncherArgs {
  help: boolean;
  version: boolean;
  check: boolean;
  noBrowser: boolean;
  port?: number;
  /** --check --json: the doctor's report as one JSON object. */
  json?: boolean;
  /** --gpu N: the NVIDIA GPU (nvidia-smi's index) to check and run on; default the first. */
  gpu?: number;
  appArgs: string[];
  /** --exec: run appArgs (program first) with the bundle's environment instead of the app. */
  exec?: true;
  /** --shell: open an interactive console with the bundle's environment. */
  shell?: true;
  /** --update FILE: apply an update file (also: the file as the only argument, a drop onto the exe). */
  update?: string;
  /** --rollback: back to the release before the last update. */
  rollback?: true;
}

export type ParsedArgs = { ok: true; args: LauncherArgs } | { ok: false; error: string };

function parsePort(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : undefined;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const args: LauncherArgs = { help: false, version: false, check: false, noBrowser: false, appArgs: [] };
  // Windows passes a file dropped onto the launcher as its only argument: an update file so
  // given is applied as with --update.
  if (argv.length === 1 && !argv[0]!.startsWith("-") && argv[0]!.toLowerCase().endsWith(".update.zip")) return { ok: true, args: { ...args, update: argv[0]! } };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.appArgs = argv.slice(i + 1);
      break;
    }
    if (a === "--help" || a === "-h" || a === "/?") args.help = true;
    else if (a === "--version" || a === "-v") args.version = true;
    else if (a === "--check") args.check = true;
    else if (a === "--no-browser") args.noBrowser = true;
    else if (a === "--json") args.json = true;
    else if (a === "--gpu" || a.startsWith("--gpu=")) {
      const value = a === "--gpu" ? argv[++i] : a.slice("--gpu=".length);
      if (value === undefined || !/^\d{1,2}$/.test(value)) return { ok: false, error: `--gpu needs a GPU number (0 for the first), got ${value === undefined ? "nothing" : JSON.stringify(value)}` };
      args.gpu = Number(value);
    }
    else if (a === "--exec") args.exec = true;
    else if (a === "--shell") args.shell = true;
    else if (a === "--rollback") args.rollback = true;
    else if (a === "--update" || a.startsWith("--update=")) {
      const value = a === "--update" ? argv[++i] : a.slice("--update=".length);
      if (!value) return { ok: false, error: "--update needs the update file, e.g. --update demo-1.0-to-1.1-win-x64.update.zip" };
      args.update = value;
    }
    else if (a === "--port" || a.startsWith("--port=")) {
      const value = a === "--port" ? argv[++i] : a.slice("--port=".length);
      const port = parsePort(value);
      if (port === undefined) return { ok: false, error: `--port needs a number from 1 to 65535, got ${value === undefined ? "nothing" : JSON.stringify(value)}` };
      args.port = port;
    } else {
      return { ok: false, error: `unknown option ${JSON.stringify(a)} (arguments for the app go after --)` };
    }
  }
  if ((args.update !== undefined || args.rollback) && (args.check || args.exec || args.shell || args.appArgs.length > 0 || (args.update !== undefined && args.rollback))) {
    return { ok: false, error: "--update and --rollback go alone" };
  }
  if (args.json && !args.check) return { ok: false, error: "--json goes with --check" };
  if (args.exec && args.shell) return { ok: false, error: "--exec and --shell do not go together (--exec runs one command, --shell opens a console)" };
  if (args.exec && args.appArgs.length === 0) return { ok: false, error: "--exec needs the program after --, e.g. --exec -- {python} -m pip list" };
  if (args.shell && args.appArgs.length > 0) return { ok: false, error: "--shell takes no arguments after --; to run one command use --exec -- <program> [args]" };
  return { ok: true, args };
}
