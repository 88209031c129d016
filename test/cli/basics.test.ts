// CLI basics: help, version, unknown commands and flags, exit codes — and the real binary.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.ts";

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

describe("bundle CLI", () => {
  it("prints help with every command and the exit codes", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["plan", "lock", "fetch", "build", "verify", "cache", "demo"]) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, "m"));
    expect(r.stdout).toMatch(/Exit codes: 0 success, 1 .*, 2 bad usage/);
  });

  it("prints command help for `bundle plan --help` and `bundle help build`", async () => {
    expect((await runCli(["plan", "--help"])).stdout).toMatch(/Usage: bundle plan <recipe> \[--platform P\] \[--json\]/);
    expect((await runCli(["help", "build"])).stdout).toMatch(/--locked/);
  });

  it("prints the version", async () => {
    const r = await runCli(["--version"]);
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it("rejects an unknown command with exit 2 and a suggestion", async () => {
    const r = await runCli(["plna", "x.yml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "plna"/);
    expect(r.stderr).toMatch(/did you mean "plan"/);
  });

  it("rejects an unknown flag with exit 2 and a suggestion", async () => {
    const r = await runCli(["plan", "x.yml", "--platfrom", "win-x64"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option --platfrom for bundle plan/);
    expect(r.stderr).toMatch(/--platform/);
    const r2 = await runCli(["plan", "x.yml", "--offline"]);
    expect(r2.stderr).toMatch(/--offline is an option of bundle lock, fetch, build/);
  });

  it("rejects a bad flag value and a missing argument with exit 2", async () => {
    expect((await runCli(["plan", "recipes/sd-webui-a1111.yml", "--platform", "win-x86"])).stderr).toMatch(/did you mean "win-x64"/);
    const r = await runCli(["plan"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bundle plan needs <recipe>/);
  });

  it("reports a missing recipe file with exit 2, a platform the recipe lacks with exit 2", async () => {
    const r = await runCli(["plan", "no/such/recipe.yml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read recipe no\/such\/recipe\.yml: ENOENT/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack without --verbose
    expect(readFileSync("recipes/demo.yml", "utf8")).toMatch(/^platforms: \[linux-x64\]$/m);
    const p = await runCli(["plan", "recipes/demo.yml", "--platform", "win-x64"]);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/^error: platform win-x64 is not one of this recipe's platforms \(linux-x64\)\nhint: use --platform linux-x64/);
  });

  it("prints the stack of an error with --verbose, and only then", async () => {
    const quiet = await runCli(["plan", "no/such/recipe.yml"]);
    const verbose = await runCli(["plan", "no/such/recipe.yml", "--verbose"]);
    expect(verbose.code).toBe(2);
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    expect(verbose.stderr).toMatch(/\n\s+at .*\.ts:\d+:\d+/);
  });

  it("reports errors as JSON with --json", async () => {
    const r = await runCli(["plan", "no/such.yml", "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr.trim())).toMatchObject({ type: "error", code: "USAGE" });
  });

  it("runs as a real process through bin/bundle.js", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["bin/bundle.js", "--version"]);
    expect(stdout.trim()).toBe(pkg.version);
    const fail = await promisify(execFile)(process.execPath, ["bin/bundle.js", "nope"]).catch((e: { code: number; stderr: string }) => e);
    expect((fail as { code: number }).code).toBe(2);
  });
});
