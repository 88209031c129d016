// The bill of materials: repository and extension components get the sha256 and size of their
// checkout as placed (every component with its sha256 and size), computed from the
// file manifest without the files that deeper components own.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Component, ManifestEntry } from "../../src/contract/bundle-json.ts";
import { withTreeDigests } from "../../src/assemble/components.ts";

const f = (path: string, size: number): ManifestEntry => ({ path, size, sha256: createHash("sha256").update(path).digest("hex") });
const listing = (prefix: string, files: ManifestEntry[]) => createHash("sha256").update(files.map((x) => `${x.sha256}  ${x.path.slice(prefix.length)}\n`).join("")).digest("hex");

describe("repository components in bundle.json", () => {
  const files = [
    f("app/.git/HEAD", 21),
    f("app/launch.py", 100),
    f("app/extensions/ext/x.py", 7),
    f("app/models/m.bin", 1000),
    f("app/repositories/lib/lib.py", 5),
    f("application/other.py", 3),
    f("python/bin/python3", 9),
  ];
  const cs: Component[] = [
    { kind: "repo", name: "app", commit: "a".repeat(40), url: "http://m/app.git", dest: "app" },
    { kind: "repo", name: "app/repositories/lib", commit: "b".repeat(40), dest: "app/repositories/lib" },
    { kind: "extension", name: "ext", commit: "c".repeat(40), dest: "app/extensions/ext" },
    { kind: "file", name: "m.bin", sha256: "d".repeat(64), size: 1000, dest: "app/models/m.bin" },
    { kind: "python", name: "python", sha256: "e".repeat(64), size: 9, dest: "python" },
  ];
  const out = withTreeDigests(cs, files);

  it("hash the sha256sum listing of their own files (paths relative to their folder) and add up their bytes", () => {
    const own = [files[0]!, files[1]!];
    expect(out[0]).toMatchObject({ sha256: listing("app/", own), size: 121 });
    expect(out[1]).toMatchObject({ sha256: listing("app/repositories/lib/", [files[4]!]), size: 5 });
    expect(out[2]).toMatchObject({ sha256: listing("app/extensions/ext/", [files[2]!]), size: 7 });
  });

  it("leave out nested repositories, extensions and recipe files, and folders that merely share the prefix", () => {
    expect(out[0]!.size).toBe(121); // not ext (7), lib (5), m.bin (1000) or application/ (3)
  });

  it("leave other components as they are", () => {
    expect(out.slice(3)).toEqual(cs.slice(3));
  });
});
