// Whether a process still runs: how locks and temporary folders are judged abandoned (a process
// killed with SIGKILL leaves them behind, and only its pid tells).

/** Whether process `pid` exists on this machine (EPERM: it does, owned by another user). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
