// The first free port from the configured one. A port counts as free
// when both the loopback address (where the app listens by default) and the wildcard address
// can be bound: on Windows a wildcard listener does not stop a loopback bind, and vice versa.

import { createServer } from "node:net";

function canListen(port: number, host: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "EADDRNOTAVAIL" || e.code === "EAFNOSUPPORT"));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export async function isPortFree(port: number): Promise<boolean> {
  return (await canListen(port, "127.0.0.1")) && (await canListen(port, "0.0.0.0"));
}

/** The first free port in [start, start + tries), or null. */
export async function findFreePort(start: number, tries = 100): Promise<number | null> {
  for (let p = start; p < Math.min(start + tries, 65536); p++) if (await isPortFree(p)) return p;
  return null;
}
