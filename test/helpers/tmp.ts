// Disposable temp folders for tests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

// Every folder made in this test file. One afterAll, registered while the file is
// collected (this module is imported then), removes them all: an afterAll called from
// inside a running test is never run, which is how thousands of folders leaked.
const made = new Set<string>();

afterAll(async () => {
  if (process.env.KEEP_TMP) return;
  await Promise.all([...made].map((dir) => rm(dir, { recursive: true, force: true, maxRetries: 3 })));
  made.clear();
});

/** A fresh temp folder, removed after the test file finishes (unless KEEP_TMP is set). */
export async function tempDir(prefix = "gb-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}
