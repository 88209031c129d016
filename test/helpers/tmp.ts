// Disposable temp folders for tests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** A fresh temp folder, removed after the test file finishes (unless KEEP_TMP is set). */
export async function tempDir(prefix = "gb-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  afterAll(async () => {
    if (!process.env.KEEP_TMP) await rm(dir, { recursive: true, force: true });
  });
  return dir;
}
