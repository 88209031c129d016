// Runs the CLI in-process and captures what it prints.
import { main } from "../../src/cli/main.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(
    argv,
    {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
      stdoutIsTty: false,
      stderrIsTty: false,
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? process.cwd(),
    },
    opts.signal,
  );
  return { code, stdout, stderr };
}
