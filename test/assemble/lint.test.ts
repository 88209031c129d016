import { describe, expect, it } from "vitest";
import { lintPaths, PATH_ERROR, PATH_WARN, type LintEntry } from "../../src/assemble/lint.ts";

const files = (...paths: string[]): LintEntry[] => paths.map((path) => ({ path, kind: "file" }));
const rules = (entries: LintEntry[]) => lintPaths(entries, "win-x64").map((f) => `${f.severity} ${f.rule} ${f.paths.join(",")}`);

describe("portability lint for win-x64", () => {
  it("flags reserved device names, also with an extension and in any case", () => {
    expect(rules(files("webui/CON", "a/nul.txt", "a/Com1.py", "a/lpt9", "a/console.py", "a/COM10", "a/aux.tar.gz"))).toEqual([
      "error reserved-name a/Com1.py",
      "error reserved-name a/aux.tar.gz",
      "error reserved-name a/lpt9",
      "error reserved-name a/nul.txt",
      "error reserved-name webui/CON",
    ]);
  });

  it("flags names ending in a dot or a space", () => {
    expect(rules(files("a/name.", "a/name ", "a/.hidden"))).toEqual(["error trailing-dot-space a/name ", "error trailing-dot-space a/name."]);
  });

  it("flags characters Windows forbids, control characters included", () => {
    const found = rules(files("a/what?.txt", "a/x:y", 'a/"q"', "a/p|q", "a/s*", "a/<b>", "a/tab\there", "a/back\\slash", "a/ok-名字 (1).txt"));
    expect(found).toHaveLength(8);
    expect(found.every((f) => f.startsWith("error forbidden-char"))).toBe(true);
  });

  it("warns above 160 characters and fails above 220", () => {
    const warn = "w/" + "x".repeat(PATH_WARN - 1);
    const err = "e/" + "x".repeat(PATH_ERROR - 1);
    const fine = "f/" + "x".repeat(PATH_WARN - 2);
    expect(rules(files(warn, err, fine))).toEqual([`error long-path ${err}`, `warning long-path ${warn}`]);
  });

  it("reports names that collide case-insensitively once, at the folder where they collide", () => {
    const found = lintPaths(
      [
        { path: "m/Model", kind: "dir" },
        { path: "m/Model/a.bin", kind: "file" },
        { path: "m/model", kind: "dir" },
        { path: "m/model/a.bin", kind: "file" },
        { path: "x/README.md", kind: "file" },
        { path: "x/readme.md", kind: "file" },
      ],
      "win-x64",
    );
    expect(found.map((f) => f.paths)).toEqual([["m/Model", "m/model"], ["x/README.md", "x/readme.md"]]);
    expect(found[0]!.message).toContain("differ only in case");
  });

  it("refuses symbolic links, which a Windows unzip cannot recreate", () => {
    expect(rules([{ path: "python/bin/python3", kind: "link" }])).toEqual(["error symlink python/bin/python3"]);
  });

  it("has nothing to say about Linux bundles", () => {
    expect(lintPaths(files("CON", "a.", "x:y", "A", "a"), "linux-x64")).toEqual([]);
  });
});
