// `launcher --exec -- <program> [args…]` and `launcher --shell`, run for real from the runtime's
// source (as the built launcher runs it) on the fixture bundle: the bundle's Python first on
// PATH, the recipe's env with placeholders filled, the app's folder, the exit code passed on.

import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { parseArgs } from "../../src/launcher/runtime/args.ts";
import { shellProgram } from "../../src/launcher/runtime/exec.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeFixtureBundle } from "./fixture.ts";

const MAIN = fileURLToPath(new URL("../../src/launcher/runtime/main.ts", import.meta.url));
const linux = process.platform === "linux";
let root: string;
const PORT = 47_311;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function launcher(args: string[], o: { env?: Record<string, string>; stdin?: string; onStart?: (pid: number) => void } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const env = { ...process.env, LANG: "C.UTF-8", LC_ALL: "", LC_MESSAGES: "", GREENBUNDLE_BUNDLE_ROOT: root, ...o.env };
    const p = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.stdin.end(o.stdin ?? "");
    o.onStart?.(p.pid!);
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("launcher arguments for --exec and --shell", () => {
  it("takes the program and its arguments after --exec --, and nothing after --shell", () => {
    expect(parseArgs(["--exec", "--", "{python}", "-m", "pip", "list"])).toEqual({ ok: true, args: expect.objectContaining({ exec: true, appArgs: ["{python}", "-m", "pip", "list"] }) });
    expect(parseArgs(["--shell"])).toEqual({ ok: true, args: expect.objectContaining({ shell: true, appArgs: [] }) });
    expect(parseArgs(["--exec"])).toMatchObject({ ok: false, error: expect.stringContaining("--exec needs the program after --") });
    expect(parseArgs(["--shell", "--", "ls"])).toMatchObject({ ok: false, error: expect.stringContaining("--shell takes no arguments") });
    expect(parseArgs(["--exec", "--shell", "--", "x"])).toMatchObject({ ok: false, error: expect.stringContaining("do not go together") });
  });

  it("opens cmd.exe on Windows and the user's shell elsewhere", () => {
    expect(shellProgram(true, { ComSpec: "C:\\Windows\\system32\\cmd.exe" })).toBe("C:\\Windows\\system32\\cmd.exe");
    expect(shellProgram(true, {})).toBe("cmd.exe");
    expect(shellProgram(false, { SHELL: "/bin/bash" })).toBe("/bin/bash");
    expect(shellProgram(false, {})).toBe("/bin/sh");
  });
});

describe.skipIf(!linux)("launcher --exec and --shell on the fixture bundle", () => {
  beforeAll(async () => {
    root = join(await tempDir("gb-exec-"), "整合包 exec");
    await makeFixtureBundle(root, { port: PORT, env: { FIXTURE_MIXED: "{bundle}/hf and {port}" } });
  });

  it("runs {python} with the bundle's environment in the app's folder and passes the exit code on", async () => {
    const py = "import json, os, sys; print(json.dumps({'cwd': os.getcwd(), 'env': dict(os.environ), 'argv': sys.argv[1:]})); sys.exit(7)";
    const r = await launcher(["--exec", "--", "{python}", "-c", py, "a b", "{bundle}"], { env: { PYTHONPATH: "/elsewhere", PYTHONHOME: "/nope" } });
    expect(r.code, r.stderr).toBe(7);
    const seen = JSON.parse(r.stdout) as { cwd: string; env: Record<string, string>; argv: string[] };
    expect(seen.cwd).toBe(join(root, "app"));
    expect(seen.argv).toEqual(["a b", root]);
    expect(seen.env.PATH!.split(":")[0]).toBe(join(root, "python", "bin"));
    expect(seen.env).toMatchObject({ FIXTURE_BUNDLE: root, PYTHONNOUSERSITE: "1", GIT_CONFIG_VALUE_0: join(root, "repo") });
    expect(seen.env.FIXTURE_MIXED).toMatch(new RegExp(`^${root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/hf and \\d+$`));
    expect(Number(seen.env.FIXTURE_PORT)).toBeGreaterThanOrEqual(PORT);
    expect(seen.env.PYTHONPATH).toBeUndefined();
    expect(seen.env.PYTHONHOME).toBeUndefined();
    expect(r.stderr).toBe("");
  });

  it("finds a bare `python3` in the bundle before the system's", async () => {
    const r = await launcher(["--exec", "--", "sh", "-c", "command -v python3"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(join(root, "python", "bin", "python3"));
  });

  it("says why a program cannot start and exits 127", async () => {
    const r = await launcher(["--exec", "--", "no-such-program-gb", "x"]);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain("Cannot start no-such-program-gb: spawn no-such-program-gb ENOENT");
  });

  it("exits 128 + the signal number when the command is killed by a signal", async () => {
    const r = await launcher(["--exec", "--", "sh", "-c", "kill -TERM $$"]);
    expect(r.code).toBe(143);
  });

  it("passes a SIGTERM sent to the launcher on to the command", async () => {
    let pid = 0;
    const run = launcher(["--exec", "--", "sh", "-c", 'trap "echo got-term; exit 9" TERM; echo started; while :; do sleep 0.1; done'], { onStart: (p) => (pid = p) });
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(pid, "SIGTERM");
    const r = await run;
    expect(r.stdout).toContain("got-term");
    expect(r.code).toBe(9);
  });

  it("opens the user's shell with the bundle's Python first on PATH, and ends with the shell's exit code", async () => {
    const r = await launcher(["--shell"], { env: { SHELL: "/bin/sh" }, stdin: 'command -v python3\npwd\necho "$FIXTURE_BUNDLE"\nexit 5\n' });
    expect(r.code).toBe(5);
    expect(r.stdout.trim().split("\n")).toEqual([join(root, "python", "bin", "python3"), join(root, "app"), root]);
    expect(r.stderr).toContain("Console for Fixture 整合包: its Python");
  });

  it("refuses --exec without a program, with exit code 2", async () => {
    const r = await launcher(["--exec"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--exec needs the program after --");
  });
});
