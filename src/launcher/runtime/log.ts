// Console and log file: everything the launcher says and everything
// the app prints goes to the console and to logs/launcher-<timestamp>.log. A bundle on a
// read-only medium still starts: the log is then skipped with a warning.

import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/** How many launcher logs are kept; older ones are removed at start. */
const KEEP_LOGS = 20;

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

/** `launcher-20250102-030405.log` (local time; no ':' so the name is valid on Windows). */
export function logName(d: Date): string {
  const day = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`;
  return `launcher-${day}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}.log`;
}

export class Output {
  private fd: number | undefined;
  readonly logPath: string | undefined;
  readonly logError: string | undefined;

  constructor(logsDir: string | undefined, now: Date) {
    // A console that went away (closed pipe, `launcher | head`) must not take the app down with it.
    process.stdout.on("error", () => {});
    process.stderr.on("error", () => {});
    if (!logsDir) return;
    try {
      mkdirSync(logsDir, { recursive: true });
      pruneLogs(logsDir);
      let path = join(logsDir, logName(now));
      for (let i = 2; ; i++) {
        try {
          this.fd = openSync(path, "wx");
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST" || i > 99) throw e;
          path = join(logsDir, logName(now).replace(/\.log$/, `-${i}.log`));
        }
      }
      this.logPath = path;
    } catch (e) {
      this.logError = (e as Error).message;
    }
  }

  /** Raw bytes of the app's output: console as they come, log as they come. */
  app(chunk: Buffer, stream: "stdout" | "stderr"): void {
    (stream === "stdout" ? process.stdout : process.stderr).write(chunk);
    this.toLog(chunk);
  }

  /** A launcher message: one line (or a few) to the console and the log. */
  say(text: string, level: "info" | "warn" | "error" = "info"): void {
    const prefix = level === "info" ? "[launcher] " : level === "warn" ? "[launcher] ! " : "[launcher] X ";
    const lines = text
      .split("\n")
      .map((l) => prefix + l)
      .join("\n");
    (level === "info" ? process.stdout : process.stderr).write(lines + "\n");
    this.toLog(Buffer.from(lines + "\n"));
  }

  /** A line only for the log (diagnostics the console does not need). */
  note(text: string): void {
    this.toLog(Buffer.from(`[launcher] ${text}\n`));
  }

  private toLog(b: Buffer): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, b);
    } catch {
      this.fd = undefined;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function pruneLogs(dir: string): void {
  const logs = readdirSync(dir)
    .filter((n) => /^launcher-\d{8}-\d{6}(-\d+)?\.log$/.test(n))
    .sort();
  for (const n of logs.slice(0, Math.max(0, logs.length - (KEEP_LOGS - 1)))) rmSync(join(dir, n), { force: true });
}
