// Live progress on a terminal with listr2: one task whose title is the overall line (downloads,
// bytes, speed, ETA) and whose output lists each active download with its own speed and ETA, then
// the last few notes (mirror switches, retries, finished files). listr2 is imported only here, and
// this file only when stderr is a TTY, so that commands without live progress start fast.
//
// While the view is live, listr2 holds back other writes to stderr and stdout and prints them
// after its last frame, so a result or an error never lands in the middle of the view. The view
// starts with the first stage, download or task and ends when the command closes the renderer.

import { DefaultRenderer, Listr, ListrLogger, ProcessOutput } from "listr2";
import type { BundleEvent } from "../core/events.ts";
import { ProgressModel } from "./progress-view.ts";
import { plainRenderer, type Renderer } from "./render.ts";

const REFRESH_MS = 100;

/** Like listr2's ProcessOutput, but releases held-back writes exactly as they were written (no extra newlines, colours kept). */
class VerbatimOutput extends ProcessOutput {
  override release(): void {
    const held = Object.values(this.stream)
      .flatMap((s) => s.release())
      .sort((a, b) => a.time - b.time);
    this.stream.stdout.write("\u001b[?25h"); // show the cursor again
    for (const m of held) if (!/^(\u001b\[\?25[lh])+$/.test(m.entry)) (m.stream ?? process.stderr).write(m.entry); // cursor toggles of the view itself
    this.active = false;
  }
}

const isLive = (e: BundleEvent) => (e.type === "stage" && e.status === "start") || e.type === "download:start" || e.type === "task:start";

export function ttyRenderer(write: (s: string) => void): Renderer {
  const model = new ProgressModel();
  const plain = plainRenderer(write);
  let finish: (() => void) | undefined;

  const start = () => {
    let release!: () => void;
    const closed = new Promise<void>((r) => (release = r));
    const width = () => Math.max(40, (process.stderr.columns ?? 100) - 4);
    const list = new Listr(
      [
        {
          title: "starting",
          task: async (_ctx, task) => {
            const paint = () => {
              const v = model.view(width());
              task.title = v.title;
              task.output = v.lines.join("\n");
            };
            const timer = setInterval(paint, REFRESH_MS);
            await closed;
            clearInterval(timer);
            task.title = model.overall() ?? model.stage ?? "done";
            task.output = model.log.join("\n");
          },
          rendererOptions: { outputBar: true, persistentOutput: true }, // true: the last output, all its lines
        },
      ],
      {
        renderer: DefaultRenderer,
        fallbackRenderer: DefaultRenderer, // stdout may be a pipe while stderr is the terminal
        registerSignalListeners: false, // Ctrl+C belongs to the CLI: it aborts and keeps partial downloads
        exitOnError: false,
        rendererOptions: { logger: new ListrLogger({ useIcons: true, toStderr: [], processOutput: new VerbatimOutput(process.stderr, process.stdout) }), formatOutput: "truncate" },
      },
    );
    void list.run().catch(() => {});
    finish = release;
  };

  // Warnings must outlive the view (it keeps only the last few notes): they are printed again,
  // in full, right after its last frame.
  const warnings: string[] = [];
  return {
    emit(e) {
      model.apply(e, Date.now());
      if (!finish && isLive(e)) start();
      if (!finish) plain.emit(e); // before the view starts (or for a command without live work): plain lines
      else if (e.type === "warning") warnings.push(`warning: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}\n`);
    },
    close() {
      if (!finish) return;
      finish();
      finish = undefined;
      for (const w of warnings.splice(0)) write(w); // held back by the view, released after its last frame
    },
  };
}
