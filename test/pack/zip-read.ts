// Reading zips back in packing tests, and optional outside tools.

import { execFileSync } from "node:child_process";
import yauzl from "yauzl";

export function has(tool: string, args: string[]): boolean {
  try {
    execFileSync(tool, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface ZipItem {
  name: string;
  method: number;
  mode: number;
  size: number;
  compressedSize: number;
  dosDate: number;
  dosTime: number;
}

export function listZip(path: string): Promise<ZipItem[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const items: ZipItem[] = [];
      zip.on("entry", (e: yauzl.Entry) => {
        items.push({ name: e.fileName, method: e.compressionMethod, mode: e.externalFileAttributes >>> 16, size: e.uncompressedSize, compressedSize: e.compressedSize, dosDate: e.lastModFileDate, dosTime: e.lastModFileTime });
        zip.readEntry();
      });
      zip.on("end", () => resolve(items));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}
