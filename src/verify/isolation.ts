// How the boot is cut off from the network, decided once per run by trying it.
// Best: `unshare -rn` (new user + network namespace: only a loopback, brought up so the app can
// listen) with a PID namespace (nothing can outlive the run) and an AnyIP route so that the sink
// in netguard.ts records what the app reaches for. Where user namespaces are off (containers,
// hardened kernels, Windows, macOS) the fallback is proxies that refuse, and the report says so.

import { spawn } from "node:child_process";
import { SINK_PORTS } from "./netguard.ts";

export type Isolation =
  | { method: "netns"; pidns: boolean; sink: boolean; detail: string }
  | { method: "proxy"; detail: string; reason: string };

const LO_UP = "ip link set lo up";
const ANYIP = "ip route add local default dev lo && { ip -6 route add local default dev lo 2>/dev/null || true; }";

function tryRun(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    let stderr = "";
    const p = spawn(file, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    p.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    p.once("error", (e) => resolve({ ok: false, stderr: e.message }));
    p.once("exit", (code) => resolve({ ok: code === 0, stderr: stderr.trim() }));
  });
}

const PIDNS = ["--pid", "--fork", "--kill-child", "--mount-proc"];

/** Finds the strongest isolation this host allows. `hostHasUnshare` is false on non-Linux hosts (the CLI knows). */
export async function probeIsolation(opts: { env: NodeJS.ProcessEnv; allowNetns: boolean }): Promise<Isolation> {
  if (!opts.allowNetns) return proxyFallback("network namespaces are not available on this host");
  const full = await tryRun("unshare", ["-rn", ...PIDNS, "sh", "-c", `${LO_UP} && ${ANYIP}`], opts.env);
  if (full.ok) return { method: "netns", pidns: true, sink: true, detail: describe(true, true) };
  const netOnly = await tryRun("unshare", ["-rn", "sh", "-c", LO_UP], opts.env);
  if (!netOnly.ok) return proxyFallback(`\`unshare -rn\` failed: ${netOnly.stderr || full.stderr || "no reason given"}`);
  const sink = (await tryRun("unshare", ["-rn", "sh", "-c", `${LO_UP} && ${ANYIP}`], opts.env)).ok;
  return { method: "netns", pidns: false, sink, detail: describe(false, sink) };
}

function describe(pidns: boolean, sink: boolean): string {
  return [
    "network namespace (unshare -rn): only a loopback interface, no route out, no DNS",
    sink
      ? `connections to any other address on ports ${SINK_PORTS.join(", ")} and DNS lookups are recorded (other ports are refused at once)`
      : "connection attempts fail at once (ENETUNREACH) but are not recorded",
    pidns ? "a PID namespace guarantees that nothing outlives the run" : "leftover processes are found by a marker variable",
  ].join("; ");
}

function proxyFallback(reason: string): Isolation {
  return {
    method: "proxy",
    reason,
    detail: `the network could NOT be cut off (${reason}); HTTP(S)_PROXY pointed at a proxy that records and refuses every request — an app that ignores proxy settings could still reach the network`,
  };
}

/** The command line that runs `argv` under the isolation. */
export function isolatedCommand(iso: Isolation, argv: readonly string[]): { file: string; args: string[] } {
  if (iso.method === "proxy") return { file: argv[0]!, args: argv.slice(1) };
  const setup = iso.sink ? `${LO_UP} || exit 97; ${ANYIP} || exit 98` : `${LO_UP} || exit 97`;
  return { file: "unshare", args: ["-rn", ...(iso.pidns ? PIDNS : []), "sh", "-c", `${setup}; exec "$@"`, "sh", ...argv] };
}
