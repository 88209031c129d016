// Recording what a booting app tries to reach. Cutting the network off makes
// a first launch that downloads fail; recording the attempt makes the failure say *what* it
// wanted, even when the app swallows the error and carries on.
// - Inside a network namespace, `ip route add local default dev lo` (an "AnyIP" route) makes
//   every address local: a sink listening on the usual ports accepts connections to any host and
//   notes the address; a DNS sink notes each name looked up and answers REFUSED at once.
// - Where no namespace can be made, HTTP(S)_PROXY points at a recording proxy that refuses
//   everything (apps that honour proxies — pip, requests, git, huggingface_hub — fail fast).

import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server } from "node:net";

export type NetAttempt = { kind: "tcp"; address: string; port: number } | { kind: "dns"; name: string } | { kind: "proxy"; target: string };

/**
 * Ports the sink listens on: web, git, ssh, ftp, their common alternates, and the local proxy ports
 * people in China run (Clash 7890, SOCKS 1080, Squid 3128). Other ports are refused at once (not a
 * hang) but not recorded; names are recorded anyway by the DNS sink.
 */
export const SINK_PORTS = [80, 443, 8080, 8443, 22, 9418, 21, 8000, 8888, 1080, 3128, 7890] as const;

export function describeAttempt(a: NetAttempt): string {
  if (a.kind === "tcp") return `connection to ${a.address.replace(/^::ffff:/, "")}:${a.port}`;
  if (a.kind === "dns") return `DNS lookup of ${a.name}`;
  return `request through the proxy to ${a.target}`;
}

export interface Guard {
  attempts: NetAttempt[];
  /** Environment the app gets (proxy variables set, or cleared). */
  env: Record<string, string>;
  close(): Promise<void>;
}

const PROXY_VARS = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "FTP_PROXY", "http_proxy", "https_proxy", "all_proxy", "ftp_proxy"];

/** The sink inside a namespace with an AnyIP route. `skipPort` is the app's own port. */
export async function startSink(skipPort: number): Promise<Guard> {
  const attempts: NetAttempt[] = [];
  const servers: Server[] = [];
  for (const port of SINK_PORTS) {
    if (port === skipPort) continue;
    const srv = createServer((sock) => {
      attempts.push({ kind: "tcp", address: sock.localAddress ?? "?", port: sock.localPort ?? port });
      sock.destroy();
    });
    const ok = await new Promise<boolean>((resolve) => {
      srv.once("error", () => resolve(false));
      srv.listen({ port, host: "::", ipv6Only: false }, () => resolve(true));
    });
    if (ok) servers.push(srv);
  }
  const dns = await dnsSink(attempts);
  // empty values, not deletion: the launcher inherits our environment and a proxy on the host's
  // 127.0.0.1 is unreachable from the namespace (it would hide the destination from the sink)
  const env = Object.fromEntries(PROXY_VARS.map((v) => [v, ""]));
  return {
    attempts,
    env,
    async close() {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      dns?.close();
    },
  };
}

async function dnsSink(attempts: NetAttempt[]): Promise<UdpSocket | undefined> {
  const sock = createSocket({ type: "udp6", ipv6Only: false });
  sock.on("message", (msg, rinfo) => {
    const q = parseDnsQuery(msg);
    if (!q) return;
    if (!attempts.some((a) => a.kind === "dns" && a.name === q.name)) attempts.push({ kind: "dns", name: q.name });
    sock.send(q.refused, rinfo.port, rinfo.address);
  });
  return new Promise((resolve) => {
    sock.once("error", () => resolve(undefined));
    sock.bind(53, "::", () => resolve(sock));
  });
}

/** Reads the first question of a DNS query (RFC 1035 §4.1) and builds a REFUSED answer to it. */
export function parseDnsQuery(msg: Buffer): { name: string; refused: Buffer } | undefined {
  if (msg.length < 17 || (msg[2]! & 0x80) !== 0) return undefined; // too short, or a response
  const labels: string[] = [];
  let i = 12;
  while (i < msg.length && msg[i] !== 0) {
    const len = msg[i]!;
    if (len > 63 || i + 1 + len > msg.length) return undefined;
    labels.push(msg.toString("latin1", i + 1, i + 1 + len));
    i += 1 + len;
  }
  const end = i + 5; // zero byte + QTYPE + QCLASS
  if (end > msg.length) return undefined;
  const refused = Buffer.concat([msg.subarray(0, 2), Buffer.from([0x80 | (msg[2]! & 0x01), 0x80 | 5, 0, 1, 0, 0, 0, 0, 0, 0]), msg.subarray(12, end)]);
  return { name: labels.join(".").toLowerCase(), refused };
}

/** A proxy on 127.0.0.1 that records and refuses every request (the fallback without a namespace). */
export async function startRefusingProxy(): Promise<Guard> {
  const attempts: NetAttempt[] = [];
  const srv: HttpServer = createHttpServer((req, res) => {
    attempts.push({ kind: "proxy", target: req.url ?? "?" });
    res.writeHead(403, { "content-type": "text/plain", connection: "close" }).end("greenbundle verify: the network is cut off\n");
  });
  srv.on("connect", (req, sock) => {
    attempts.push({ kind: "proxy", target: req.url ?? "?" });
    sock.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = Object.fromEntries(PROXY_VARS.map((v) => [v, url]));
  env.NO_PROXY = env.no_proxy = "127.0.0.1,localhost,::1";
  return {
    attempts,
    env,
    async close() {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    },
  };
}
