// Child processes that must stop when the command does. A child can do its work in children of
// its own (`git fetch` runs git-remote-http, which holds the mirror's connection and the stderr
// pipe): a signal to the child alone leaves those running until their own timeouts, and the
// command waiting for the pipe with them. So such a child leads its own process group (POSIX),
// and stopping it — an abort, or this process exiting, as a second Ctrl+C makes it do at once —
// signals the whole group.

/** Spawn options for a child that leads its own process group (POSIX; Windows has none). */
export const OWN_GROUP: { detached?: boolean } = process.platform === "win32" ? {} : { detached: true };

const live = new Set<number>();
let exitHooked = false;

function killGroup(pid: number): void {
  try {
    process.kill(process.platform === "win32" ? pid : -pid, "SIGTERM");
  } catch {
    // already gone
  }
}

/**
 * Ties the group led by `pid` (spawned with OWN_GROUP) to `signal` and to this process's life.
 * Returns the function that unties it once the child has exited.
 */
export function tieGroup(pid: number | undefined, signal?: AbortSignal): () => void {
  if (pid === undefined) return () => {};
  if (!exitHooked) {
    exitHooked = true;
    process.once("exit", () => {
      for (const p of live) killGroup(p);
    });
  }
  live.add(pid);
  const onAbort = () => killGroup(pid);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  return () => {
    live.delete(pid);
    signal?.removeEventListener("abort", onAbort);
  };
}
