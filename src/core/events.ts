// Progress is a typed event stream from the core. The core never prints: it
// calls `emit`, and the CLI renders events with listr2 (TTY), plain lines (CI) or JSON lines.

export type BundleEvent =
  // a stage of a command (fetch, install, assemble, pack, verify, ...)
  // `ms`: on "done", how long the stage took (shown with --verbose)
  | { type: "stage"; stage: string; status: "start" | "done" | "skip"; detail?: string; ms?: number }
  // a download
  | { type: "download:start"; id: string; url: string; total?: number; resumeFrom?: number }
  | { type: "download:progress"; id: string; bytes: number; total?: number }
  | { type: "download:mirror"; id: string; from: string; to: string; reason: string }
  | { type: "download:retry"; id: string; attempt: number; delayMs: number; reason: string }
  | { type: "download:done"; id: string; url: string; bytes: number; cached: boolean }
  | { type: "download:failed"; id: string; reason: string }
  // generic long task with a counter (wheels installed, files hashed, entries packed, ...)
  | { type: "task:start"; id: string; title: string; total?: number }
  | { type: "task:progress"; id: string; done: number; total?: number; detail?: string }
  | { type: "task:done"; id: string; detail?: string }
  | { type: "task:failed"; id: string; reason: string }
  // something the user should read, that is not an error
  | { type: "warning"; message: string; hint?: string }
  | { type: "info"; message: string };

export type Emit = (event: BundleEvent) => void;

/** An emitter that drops everything (tests, library use without progress). */
export const silent: Emit = () => {};

/** Collects events in an array; handy in tests. */
export function collector(): { emit: Emit; events: BundleEvent[] } {
  const events: BundleEvent[] = [];
  return { emit: (e) => events.push(e), events };
}
