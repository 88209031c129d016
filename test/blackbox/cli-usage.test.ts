// Command-line mistakes: one line that says what is wrong and what to type, exit code 2, before
// any work; --json errors have one shape for every command.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { reportError } from "../../src/cli/main.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

let dir: string;
beforeAll(async () => {
  dir = await tempDir("gb-cli-usage-");
});

describe("option values", () => {
  it("says a value that starts with '-' must be attached with '='", async () => {
    const r = await runCli(["verify", "x.zip", "--timeout", "-1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --timeout needs a value, and the next word "-1" looks like an option (bundle verify)\nhint: write --timeout=-1 if that is the value; see `bundle verify --help`\n');
  });

  it("says a switch takes no value", async () => {
    const r = await runCli(["verify", "x.zip", "--keep=yes"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: --keep is a switch and takes no value (bundle verify)\nhint: write --keep alone\n");
  });

  it("says which value a flag is missing", async () => {
    const r = await runCli(["plan", "r.yml", "--platform"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: --platform needs a value: --platform P (bundle plan)");
  });

  it("lists every command an option belongs to", async () => {
    const r = await runCli(["plan", "r.yml", "--cache", "c"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("hint: --cache is an option of bundle lock, fetch, build, cache, demo");
  });

  it.each(["0", "abc", "1.5"])("refuses --jobs %s before reading the recipe or starting work", async (v) => {
    const r = await runCli(["fetch", join(dir, "absent.yml"), "--jobs", v]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: --jobs must be a whole number ≥ 1 (got "${v}")\n`);
  });
});

describe("--json errors", () => {
  it.each([
    ["plan", ["plan"]],
    ["lock", ["lock"]],
    ["fetch", ["fetch"]],
    ["build", ["build"]],
    ["verify", ["verify"]],
  ])("bundle %s with a missing input prints one error object with code, message, hint and diagnostics", async (_name, argv) => {
    const r = await runCli([...argv, join(dir, "absent.yml"), "--json"], { cwd: dir });
    expect(r.code).toBe(2);
    const last = JSON.parse(r.stderr.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(Object.keys(last).sort()).toEqual(["code", "diagnostics", "hint", "message", "type"]);
    expect(last).toMatchObject({ type: "error", code: "USAGE" });
  });

  it("gives an internal error the same shape", () => {
    let out = "";
    const code = reportError(new TypeError("boom"), { stderr: (s) => (out += s) }, { verbose: false, json: true });
    expect(code).toBe(1);
    expect(Object.keys(JSON.parse(out) as object).sort()).toEqual(["code", "diagnostics", "hint", "message", "type"]);
  });
});

describe("Ctrl+C", () => {
  it("is an interruption (exit 130), not an internal error, whatever the interrupted step threw", async () => {
    const { Cache } = await import("../../src/cache/index.ts");
    const { writeFile } = await import("node:fs/promises");
    const cacheDir = join(dir, "cache-int");
    await writeFile(join(dir, "blob.bin"), "bytes");
    await new Cache(cacheDir).importFile(join(dir, "blob.bin"));
    const ctl = new AbortController();
    ctl.abort(new Error("SIGINT"));
    const r = await runCli(["cache", "verify", "--cache", cacheDir], { signal: ctl.signal });
    expect(r.stderr).not.toContain("internal error");
    expect(r.code).toBe(130);
  });
});
