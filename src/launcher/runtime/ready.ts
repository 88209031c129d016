// Waiting for the app and opening the browser. The ready URL is
// polled until it answers HTTP 200; opening the browser never fails the launch.

import { spawn } from "node:child_process";
import { get } from "node:http";

function probe(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

/** Polls `url` every `intervalMs` until it answers 200 (true) or `signal` aborts (false). */
export async function waitReady(url: string, signal: AbortSignal, intervalMs = 500): Promise<boolean> {
  while (!signal.aborted) {
    if (await probe(url, 5000)) return !signal.aborted;
    await new Promise<void>((r) => {
      const t = setTimeout(r, intervalMs);
      signal.addEventListener("abort", () => (clearTimeout(t), r()), { once: true });
    });
  }
  return false;
}

/** Opens `url` in the default browser; resolves false instead of throwing when it cannot. */
export function openBrowser(url: string, windows: boolean): Promise<boolean> {
  // `start` is a cmd built-in; its first quoted argument is the window title, hence "".
  const [file, args] = windows ? ["cmd.exe", ["/d", "/s", "/c", `start "" "${url}"`]] : ["xdg-open", [url]];
  return new Promise((resolve) => {
    try {
      const p = spawn(file, args as string[], { stdio: "ignore", detached: !windows, windowsHide: true, windowsVerbatimArguments: windows });
      p.once("error", () => resolve(false));
      p.once("spawn", () => {
        p.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
