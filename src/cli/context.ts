// What a command implementation receives from the CLI shell.

import type { Emit } from "../core/events.ts";
import type { Flags } from "./args.ts";

export interface CliContext {
  args: string[];
  flags: Flags;
  /** Arguments after `--`. */
  rest: string[];
  emit: Emit;
  /** Writes the command's result to stdout (one call, one line or block). */
  out: (text: string) => void;
  json: boolean;
  verbose: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on Ctrl+C / SIGTERM; long operations stop and keep what is resumable. */
  signal: AbortSignal;
  /** Whether stdout is an interactive terminal. */
  tty: boolean;
}

export type CommandImpl = (ctx: CliContext) => Promise<number | void>;
