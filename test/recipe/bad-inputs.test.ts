// Inputs that are not recipes, or recipes whose side files (extends, requirements, lock) are
// wrong: every one is a clear error with a position where there is one, and never a crash.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { BASE_LINES as BASE } from "../blackbox/recipe-text.ts";

let dir: string;
beforeAll(async () => {
  dir = await tempDir("gb-bad-inputs-");
});

async function recipe(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const withWheels = (extra: string[]) => [...BASE, "wheels:", "  indexes: [files]", ...extra].join("\n") + "\n";
const lockLine: number = BASE.length + 4; // the `lock:` line in withWheels(["  requirements: …", "  lock: …"])

describe("bundle plan on files that are not recipes", () => {
  it("says a folder given as the recipe is a folder, with exit code 2", async () => {
    await mkdir(join(dir, "folder.yml"), { recursive: true });
    const r = await runCli(["plan", join(dir, "folder.yml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read recipe .*folder\.yml: it is a folder\nhint: name the recipe file itself/);
  });

  it("points at the extends line when extends names a folder", async () => {
    await mkdir(join(dir, "base-dir"), { recursive: true });
    const file = await recipe("ext-dir.yml", "extends: ./base-dir\n");
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:1:10: error: extends names ./base-dir, which is a folder, not a recipe file`);
  });

  it("reports an alias without an anchor at its position instead of crashing", async () => {
    const file = await recipe("alias.yml", "recipe: 1\nname: *nope\n");
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:2:7: error: YAML alias *nope names no anchor &nope set before it`);
    expect(r.stderr).not.toContain("internal error");
  });

  it("reports an alias bomb as a recipe error instead of expanding it", async () => {
    const rows = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const [k, prev] of [["b", "a"], ["c", "b"], ["d", "c"], ["e", "d"]]) rows.push(`${k}: &${k} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    const file = await recipe("bomb.yml", rows.join("\n") + "\n");
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bomb\.yml:\d+:\d+: error: YAML aliases expand to too many values/);
  });

  it("says a recipe is one YAML document, without the YAML library's advice", async () => {
    const file = await recipe("multi.yml", "recipe: 1\n---\nname: x\n");
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:2:1: error: YAML syntax: Source contains multiple documents`);
    expect(r.stderr).toContain("a recipe is one YAML document");
    expect(r.stderr).not.toContain("parseAllDocuments");
  });

  it("keeps JSON error output to one error object", async () => {
    const r = await runCli(["plan", join(dir, "absent.yml"), "--json"]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n").map((l) => JSON.parse(l) as { type: string; code: string });
    expect(lines.at(-1)).toMatchObject({ type: "error", code: "USAGE" });
  });
});

describe("bundle plan with a wrong requirements file", () => {
  it("points at wheels.requirements when the file does not exist", async () => {
    const file = await recipe("req-missing.yml", withWheels(["  requirements: nope.txt"]));
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:${BASE.length + 3}:17: error: ${join(dir, "nope.txt")} does not exist (at wheels.requirements)`);
  });

  it("points at wheels.requirements when it names a folder", async () => {
    await mkdir(join(dir, "req-folder"), { recursive: true });
    const file = await recipe("req-dir.yml", withWheels(["  requirements: req-folder"]));
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("req-folder is a folder, not a file (at wheels.requirements)");
  });

  it("reads a requirements file saved with a byte-order mark and CRLF line ends", async () => {
    await writeFile(join(dir, "bom.txt"), "\uFEFFsix==1.16.0\r\nnumpy==1.26.0\r\n");
    const file = await recipe("req-bom.yml", withWheels(["  requirements: bom.txt"]));
    const r = await runCli(["plan", file, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { artifacts: { id: string }[] };
    expect(plan.artifacts.map((a) => a.id)).toEqual(expect.arrayContaining(["wheel:six", "wheel:numpy"]));
  });
});

describe("bundle plan with a wrong lock file", () => {
  beforeAll(async () => {
    await writeFile(join(dir, "reqs.txt"), "six==1.16.0\n");
  });
  const lockRecipe = (name: string, lock: string) => recipe(name, withWheels(["  requirements: reqs.txt", `  lock: ${lock}`]));

  it("points at wheels.lock with exit code 2 when it names a folder", async () => {
    await mkdir(join(dir, "lock-folder"), { recursive: true });
    const file = await lockRecipe("lock-dir.yml", "lock-folder");
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:${lockLine}:9: error: ${join(dir, "lock-folder")} is a folder, not a lock file (at wheels.lock)`);
  });

  it.each([
    ["truncated JSON", '{"lock": 1, "platf', /is not valid JSON/],
    ["a JSON list", "[1, 2]", /has an unknown format \(lock: missing; this greenbundle reads 1\)/],
    ["platforms: null", '{"lock": 1, "recipe": "x", "python": "3.10.6", "platforms": null}', /is damaged: platforms: /],
    ["wheels that are not a list", '{"lock": 1, "recipe": "x", "python": "3.10.6", "platforms": {"linux-x64": {"wheels": "x", "artifacts": {}}}}', /is damaged: platforms\.linux-x64\.wheels: /],
    [
      "a wheel with a bad hash and a path as its file name",
      '{"lock": 1, "recipe": "x", "python": "3.10.6", "platforms": {"linux-x64": {"artifacts": {}, "wheels": [{"name": "six", "version": "1.16.0", "filename": "../six.whl", "sha256": "zz", "size": 1, "index": "files", "path": "six.whl"}]}}}',
      /is damaged: platforms\.linux-x64\.wheels\[0\]\.filename: expected a plain file name \(no folders\) \(and 1 more problem\(s\)\)/,
    ],
  ])("names what is wrong in a damaged lock (%s), exit code 1, no crash", async (name, text, message) => {
    const lock = `damaged-${name.replace(/\W+/g, "-")}.lock.json`;
    await writeFile(join(dir, lock), text);
    const file = await lockRecipe(`${lock}.yml`, lock);
    const r = await runCli(["plan", file, "--platform", "linux-x64"]);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain("hint: run `bundle lock <recipe>`");
    expect(r.stderr).not.toContain("internal error");
    expect(r.code).toBe(1);
  });
});

describe("bundle plan with paths that are spelled to slip through", () => {
  const filePathLine = 16; // "  - path: app/models/model.bin" in BASE
  const withFilePath = (p: string) => BASE.map((l, i) => (i === filePathLine - 1 ? `  - path: ${p}` : l)).join("\n") + "\n";

  it.each([
    ["a NUL character", '"app/a\\u0000b.bin"', /path contains a control character/],
    ["a '.' segment", "./app/./model.bin", /path contains a '\.' segment; write it without/],
  ])("refuses a destination with %s at its position", async (name, p, message) => {
    const file = await recipe(`path-${name.replace(/\W+/g, "-")}.yml`, withFilePath(p));
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${filePathLine}:11: error: ${message.source}`));
  });

  it("refuses an extension named '..' (it would land over the app)", async () => {
    const ext = ["extensions:", "  dir: app/extensions", "  items:", '    - name: ".."', "      url: mirror://gh/x/y.git", `      commit: ${"b".repeat(40)}`];
    const file = await recipe("ext-dotdot.yml", [...BASE, ...ext].join("\n") + "\n");
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:${BASE.length + 4}:13: error: an extension name is one folder name (not . or ..)`);
  });
});

describe("bundle plan with a package.split too small to pack", () => {
  it("says so at its position instead of after a whole build", async () => {
    const file = await recipe("split.yml", [...BASE, "package:", "  formats: [zip]", "  split: 1B"].join("\n") + "\n");
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:${BASE.length + 3}:10: error: package.split 1B is less than 64 KiB`);
  });
});

describe("bundle plan with a launcher icon that is not there", () => {
  it("points at launcher.icon instead of failing at the launcher stage of a build", async () => {
    const file = await recipe("icon.yml", [...BASE, "  icon: nope.ico"].join("\n") + "\n");
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:${BASE.length + 1}:9: error: ${join(dir, "nope.ico")} does not exist or is not a file (at launcher.icon)`);
  });
});
