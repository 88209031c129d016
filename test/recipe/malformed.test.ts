// Malformed recipes: each must exit 2 and point at the exact file:line:column of the mistake.
import { writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const H = (c: string) => c.repeat(64);

import { BASE } from "./base-recipe.ts";


type Edit = (lines: string[]) => string[];
const set = (n: number, text: string): Edit => (l) => l.map((x, i) => (i === n - 1 ? text : x));
const insert = (after: number, ...text: string[]): Edit => (l) => [...l.slice(0, after), ...text, ...l.slice(after)];
const drop = (n: number): Edit => (l) => l.filter((_, i) => i !== n - 1);
const all = (...edits: Edit[]): Edit => (l) => edits.reduce((acc, e) => e(acc), l);

interface Case {
  name: string;
  edit: Edit;
  line: number;
  col: number;
  message: RegExp;
  hint?: RegExp;
}

const cases: Case[] = [
  { name: "YAML syntax error (unclosed flow sequence)", edit: set(4, "platforms: [win-x64, linux-x64"), line: 5, col: 1, message: /YAML syntax/ },
  { name: "tab indentation", edit: set(9, "\tversion: 3.10.6"), line: 9, col: 1, message: /YAML syntax/ },
  { name: "duplicate key", edit: insert(3, "version: 2.0.0"), line: 4, col: 1, message: /YAML syntax.*[Mm]ap keys must be unique/ },
  { name: "unknown top-level key with suggestion", edit: insert(3, "titel: My app"), line: 4, col: 1, message: /unknown key "titel"/, hint: /did you mean "title"/ },
  { name: "unknown nested key with suggestion", edit: insert(17, "    comit: abc"), line: 18, col: 5, message: /unknown key "comit"/, hint: /did you mean "commit"/ },
  { name: "unknown key inside a flow mapping", edit: set(13, `  win-x64: { url: mirror://files/mingit.zip, sha265: ${H("c")} }`), line: 13, col: 46, message: /unknown key "sha265"/, hint: /sha256/ },
  { name: "commit too short", edit: set(17, "    commit: 82a973c"), line: 17, col: 13, message: /not a full commit SHA/, hint: /abbreviated/ },
  { name: "commit is a branch name", edit: set(17, "    commit: master"), line: 17, col: 13, message: /not a full commit SHA/, hint: /branch/ },
  { name: "sha256 too short", edit: set(21, "    sha256: abc123"), line: 21, col: 13, message: /not a sha256/, hint: /64 hex/ },
  { name: "sha256 in upper case", edit: set(21, `    sha256: ${H("D")}`), line: 21, col: 13, message: /not a sha256/, hint: /lowercase/ },
  { name: "sha256 in a flow mapping", edit: set(10, "  win-x64: { url: mirror://files/python-embed.zip, sha256: nothex }"), line: 10, col: 60, message: /not a sha256/ },
  { name: "undefined mirror list", edit: set(16, "    url: mirror://github/example/app.git"), line: 16, col: 10, message: /mirror list "github" is not defined/, hint: /define it under mirrors/ },
  { name: "undefined mirror list with suggestion", edit: set(20, "    url: mirror://file/model.bin"), line: 20, col: 10, message: /mirror list "file" is not defined/, hint: /did you mean "files"/ },
  { name: "ftp scheme", edit: set(20, "    url: ftp://example.com/model.bin"), line: 20, col: 10, message: /scheme "ftp:" is not allowed/ },
  { name: "file scheme in a mirror list", edit: set(7, "  files: [https://files.example.com, file:///srv/files]"), line: 7, col: 38, message: /scheme "file:" is not allowed/ },
  { name: "mirror:// inside a mirror list", edit: set(7, "  files: [https://files.example.com, mirror://gh/x]"), line: 7, col: 38, message: /mirror:\/\/ is not allowed here/ },
  { name: "absolute destination path", edit: set(19, "  - path: /opt/models/model.bin"), line: 19, col: 11, message: /absolute/ },
  { name: "destination with ..", edit: set(19, "  - path: app/../../model.bin"), line: 19, col: 11, message: /'\.\.'/ },
  { name: "destination with a backslash", edit: set(19, "  - path: app\\models\\model.bin"), line: 19, col: 11, message: /backslash/ },
  { name: "destination with a drive letter", edit: set(19, "  - path: C:/models/model.bin"), line: 19, col: 11, message: /drive letter/ },
  { name: "repo path with ..", edit: set(15, "  - path: ../outside"), line: 15, col: 11, message: /'\.\.'/ },
  {
    name: "two artifacts with the same destination",
    edit: insert(21, "  - path: app/models/model.bin", "    url: mirror://files/other.bin", `    sha256: ${H("b")}`),
    line: 22, col: 11, message: /destination "app\/models\/model.bin" is already used by the file at files\[0\]\.path/,
  },
  {
    name: "destinations that differ only in case collide on win-x64",
    edit: insert(21, "  - path: app/Models/model.bin", "    url: mirror://files/other.bin", `    sha256: ${H("b")}`),
    line: 22, col: 11, message: /differs only in case, which collides on win-x64/,
  },
  { name: "file destination equal to a repository", edit: set(19, "  - path: app"), line: 19, col: 11, message: /already used by the repository/ },
  { name: "platform without python section", edit: drop(11), line: 4, col: 22, message: /platform linux-x64 has no python.linux-x64 section/ },
  { name: "win-x64 with repositories but no portable git", edit: all(drop(13), drop(12)), line: 4, col: 13, message: /needs a portable git/ },
  { name: "platform without launcher node binary", edit: drop(25), line: 4, col: 22, message: /no launcher.node.linux-x64/ },
  { name: "unknown platform name", edit: set(4, "platforms: [win-x64, linux-x86]"), line: 4, col: 22, message: /unknown platform "linux-x86"/, hint: /did you mean "linux-x64"/ },
  { name: "missing name", edit: drop(2), line: 1, col: 1, message: /missing required key "name"/ },
  { name: "missing version", edit: drop(3), line: 1, col: 1, message: /missing required key "version"/ },
  { name: "invalid name", edit: set(2, "name: Demo App"), line: 2, col: 7, message: /name must match/ },
  { name: "wrong recipe format version", edit: set(1, "recipe: 2"), line: 1, col: 9, message: /must be 1/ },
  { name: "python version malformed", edit: set(9, "  version: 3.10"), line: 9, col: 12, message: /expected string, got number 3\.10/, hint: /quotes: "3\.10"/ },
  { name: "missing launcher command", edit: drop(26), line: 22, col: 1, message: /missing required key "command"/ },
  { name: "unknown placeholder in the command", edit: set(26, '  command: ["{pyhton}", "app.py"]'), line: 26, col: 13, message: /unknown placeholder \{pyhton\}/, hint: /python/ },
  { name: "ready is not a path", edit: set(27, "  ready: health"), line: 27, col: 10, message: /./ },
  { name: "size is negative", edit: insert(21, "    size: -5"), line: 22, col: 11, message: /./ },
  { name: "platforms empty", edit: set(4, "platforms: []"), line: 4, col: 12, message: /at least 1/ },
  { name: "files is a mapping instead of a list", edit: all(set(19, "  path: app/models/model.bin"), set(20, "  url: mirror://files/model.bin"), set(21, `  sha256: ${H("d")}`)), line: 19, col: 3, message: /expected array, got a mapping/ },
  { name: "mirror URL without a path", edit: set(20, "    url: mirror://files"), line: 20, col: 10, message: /has no path/ },
  { name: "downloaded file without sha256", edit: drop(21), line: 20, col: 10, message: /needs a sha256/ },
  { name: "upper-case Mirror:// naming an undefined list", edit: set(20, "    url: Mirror://file/model.bin"), line: 20, col: 10, message: /mirror list "file" is not defined/ },
  { name: "mirror base URL without a host", edit: set(7, "  files: [https://files.example.com, https://]"), line: 7, col: 38, message: /not a valid URL/ },
  { name: "direct URL with a space in the host", edit: set(20, "    url: https://files example.com/model.bin"), line: 20, col: 10, message: /not a valid URL/ },
];

let dir: string;
beforeAll(async () => {
  dir = await tempDir("gb-malformed-");
});

describe("bundle plan rejects malformed recipes with file:line:column and exit code 2", () => {
  it("accepts the unmodified base recipe", async () => {
    const file = join(dir, "base.yml");
    await writeFile(file, BASE.join("\n") + "\n");
    const r = await runCli(["plan", file, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("reads the URL scheme case-insensitively: Mirror://files/… expands like mirror://", async () => {
    const file = join(dir, "upper.yml");
    await writeFile(file, BASE.map((l) => l.replace("url: mirror://files/python.tar.gz", "url: Mirror://files/python.tar.gz")).join("\n") + "\n");
    const r = await runCli(["plan", file, "--platform", "linux-x64", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const python = (JSON.parse(r.stdout) as { artifacts: { id: string; urls: string[] }[] }).artifacts.find((a) => a.id === "python");
    expect(python?.urls).toEqual(["https://files.example.com/python.tar.gz", "http://127.0.0.1:9/files/python.tar.gz"]);
  });

  it.each(cases.map((c, i) => [i, c] as const))("%i: %s", async (i, c) => {
    await mkdir(join(dir, String(i)), { recursive: true });
    const file = join(dir, String(i), "recipe.yml");
    await writeFile(file, c.edit([...BASE]).join("\n") + "\n");
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    const lines = r.stderr.split("\n");
    const at = `${file}:${c.line}:${c.col}: error: `;
    const hit = lines.find((l) => l.startsWith(at) && c.message.test(l));
    expect(hit, `expected a line starting with ${at} matching ${c.message}\n--- stderr:\n${r.stderr}`).toBeDefined();
    if (c.hint) {
      const idx = lines.indexOf(hit!);
      expect(lines[idx + 1] ?? "", r.stderr).toMatch(c.hint);
    }
  });
});

it("has at least 30 malformed recipes", () => {
  expect(cases.length).toBeGreaterThanOrEqual(30);
});
