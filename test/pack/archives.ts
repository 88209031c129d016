// Archives made byte by byte for tests of the archive reader, including entries that the usual
// writers refuse to make (names with "..", links that leave, device files).
import { gzipSync } from "node:zlib";

export type Z = { name: string; data?: string; mode?: number; store?: boolean };

/** A zip made with yazl; names containing "@@/" are patched to "../" afterwards (yazl refuses them). */
export async function zip(entries: Z[], patch: [string, string][] = []): Promise<Buffer> {
  const yazl = await import("yazl");
  const z = new yazl.ZipFile();
  for (const e of entries) {
    if (e.name.endsWith("/")) z.addEmptyDirectory(e.name, { mtime: new Date(1980, 0, 1) });
    else z.addBuffer(Buffer.from(e.data ?? ""), e.name, { mode: e.mode ?? 0o100644, compress: !e.store, mtime: new Date(1980, 0, 1) });
  }
  z.end();
  const parts: Buffer[] = [];
  for await (const c of z.outputStream) parts.push(c as Buffer);
  const out = Buffer.concat(parts);
  for (const [from, to] of patch) for (let i = out.indexOf(from); i >= 0; i = out.indexOf(from, i + 1)) out.write(to, i, "latin1");
  return out;
}

/** One raw ustar header + data, so tests can write entries node-tar itself would never create. */
export function tarEntry(name: string, type: "0" | "2" | "5" | "3", data = "", link = ""): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(Buffer.byteLength(data).toString(8).padStart(11, "0") + "\0", 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148);
  h.write(type, 156);
  h.write(link, 157);
  h.write("ustar\0" + "00", 257, "latin1");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
  const body = Buffer.alloc(Math.ceil(Buffer.byteLength(data) / 512) * 512);
  body.write(data);
  return Buffer.concat([h, body]);
}
export const tgz = (...entries: Buffer[]) => gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));
