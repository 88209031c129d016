// The live view on a real terminal (listr2), through a pseudo-terminal made by util-linux `script`:
// what users see when they run `bundle fetch` by hand.
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/tmp.ts";
import { file, server, writeRecipe } from "../fetch/helpers.ts";

const hasScript = spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;

/** Runs `bundle` in a pseudo-terminal of `cols` columns (0: one that reports no size). */
function inTerminal(args: string[], cols = 120): Promise<{ code: number | null; out: string }> {
  const cmd = [process.execPath, "bin/bundle.js", ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  return new Promise((resolve) => {
    const c = spawn("script", ["-qefc", `stty cols ${cols} rows 40; exec ${cmd}`, "/dev/null"], { env: { PATH: process.env.PATH ?? "", TERM: "xterm-256color" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (out += d));
    c.on("exit", (code) => resolve({ code, out }));
  });
}

describe.skipIf(!hasScript)("bundle fetch on a terminal (needs util-linux script)", () => {
  it("draws a live view with each download's progress, then prints the summary after it", async () => {
    const BIG = file(6_000_000, 71);
    const PY = file(30_000, 72);
    const s = await server({ files: { "/m/big.bin": BIG, "/m/py.tgz": PY } });
    s.setFault("/m/big.bin", { throttle: 3_000_000 }); // two seconds: several frames
    const dir = await tempDir("gb-tty-");
    const recipe = await writeRecipe(dir, [`${s.url}/m`], {
      python: { path: "", urls: ["mirror://m/py.tgz"], sha256: PY.sha256 },
      node: { path: "", urls: ["mirror://m/big.bin"], sha256: BIG.sha256, size: BIG.size },
    });
    const r = await inTerminal(["fetch", recipe, "--cache", join(dir, "cache"), "--segments", "1"]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/\u001b\[/); // a live view, not plain lines
    expect(r.out).toMatch(/node/); // the download's own line
    expect(r.out).toMatch(/\d+(\.\d+)? (KiB|MiB)\/s/); // with its speed
    // the result comes after the last frame, whole
    const summary = r.out.lastIndexOf("fetched 2 artifact(s)");
    expect(summary).toBeGreaterThan(r.out.lastIndexOf("MiB/s") - 1);
  }, 60_000);

  it("prints plain lines on a terminal that reports no width (the live view would show nothing)", async () => {
    const PY = file(30_000, 73);
    const NODE = file(40_000, 74);
    const s = await server({ files: { "/m/py.tgz": PY, "/m/node.tgz": NODE } });
    const dir = await tempDir("gb-tty-");
    const recipe = await writeRecipe(dir, [`${s.url}/m`], {
      python: { path: "", urls: ["mirror://m/py.tgz"], sha256: PY.sha256 },
      node: { path: "", urls: ["mirror://m/node.tgz"], sha256: NODE.sha256 },
    });
    const r = await inTerminal(["fetch", recipe, "--cache", join(dir, "cache")], 0);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^DONE python /m);
    expect(r.out).toMatch(/^DONE node /m);
    expect(r.out).not.toMatch(/\u001b\[\?25l/); // no live view took over
    expect(r.out).toMatch(/fetched 2 artifact\(s\)/);
  }, 60_000);

  it("prints an error after the view, with its hint, and exits 1", async () => {
    const s = await server({ files: {} });
    const dir = await tempDir("gb-tty-");
    const recipe = await writeRecipe(dir, [`${s.url}/m`], {
      python: { path: "", urls: ["mirror://m/py.tgz"], sha256: "a".repeat(64) },
      node: { path: "", urls: ["mirror://m/node.tgz"], sha256: "b".repeat(64) },
    });
    const r = await inTerminal(["fetch", recipe, "--cache", join(dir, "cache")]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/error: 2 of 2 downloads failed/);
    expect(r.out).toMatch(/hint: /);
    expect(r.out).not.toMatch(/\n\s+at /);
  }, 60_000);
});
