// A small cross-process lock for one bare cache repository: two builds fetching the same
// repository at once would otherwise race on git's own `shallow.lock`. The lock is a folder made
// with an exclusive mkdir holding the owner's pid; a lock whose owner died is taken over.

import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BundleError } from "../core/errors.ts";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withDirLock<T>(lockDir: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  for (let waited = 0; ; waited++) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, "pid"), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number.parseInt(await readFile(join(lockDir, "pid"), "utf8").catch(() => ""), 10);
      // No pid yet: the owner is between mkdir and writeFile; give it a moment before taking over.
      if ((Number.isFinite(pid) && !alive(pid)) || (!Number.isFinite(pid) && waited > 20)) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (signal?.aborted) throw new BundleError("INTERRUPTED", "interrupted while waiting for a cache lock");
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}
