// The script-app entry of the verify API registry (`verify.api: command`): the command it runs
// through the launcher, and the newest PNG it finds under verify.image.
import { mkdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BundleJson } from "../../src/contract/bundle-json.ts";
import { commandApi, commandPlan, fillCommand, newestMatches } from "../../src/verify/command.ts";
import { freshFolder } from "../../src/verify/verify-boot.ts";
import { tempDir } from "../helpers/tmp.ts";

const command = ["{python}", "scripts/txt2img.py", "--prompt", "{prompt}", "--seed", "{seed}", "--outdir", "{out}", "--H", "{height}", "--W", "{width}", "--steps", "{steps}", "--ckpt", "{bundle}/m.ckpt"];
const bj = (verify: Record<string, unknown>) => ({ launcher: { command: ["{python}", "x.py"] }, verify: { api: "command", txt2img: { prompt: "a cute cat", steps: 8, width: 96, height: 64, seed: 7 }, ...verify } }) as unknown as BundleJson;

describe("the command plan", () => {
  it("runs verify.command through the launcher with the test generation filled in, and leaves the launcher's placeholders to the launcher", () => {
    const p = commandPlan({ bj: bj({ command, image: "{out}/samples/*.png" }), timeoutMs: 30_000, out: "greenbundle-verify-2" });
    expect(p.server).toBe(false);
    expect(p.outDir).toBe("greenbundle-verify-2");
    expect(p.steps).toEqual([
      {
        name: "command",
        timeoutMs: 30_000,
        exec: ["{python}", "scripts/txt2img.py", "--prompt", "a cute cat", "--seed", "7", "--outdir", "{bundle}/greenbundle-verify-2", "--H", "64", "--W", "96", "--steps", "8", "--ckpt", "{bundle}/m.ckpt"],
      },
    ]);
    expect(p.generation).toEqual(["command"]);
    expect(p.expect).toEqual({ width: 96, height: 64 });
    expect(p.request).toMatchObject({ prompt: "a cute cat", image: "greenbundle-verify-2/samples/*.png" });
    expect(fillCommand("{prompt}-{nope}-{out}", { prompt: "x" }, "o")).toBe("x-{nope}-o");
  });

  it("refuses a verify block without a command", () => {
    expect(commandApi.problems!(bj({ command, image: "{out}/*.png" }))).toEqual([]);
    expect(commandApi.problems!(bj({ image: "{out}/*.png" }))).toEqual([expect.stringContaining("verify.command is missing")]);
  });

  it("gives a script a folder the bundle does not have", () => {
    const tree = new Map([["greenbundle-verify/a.png", {}], ["greenbundle-verify-2", {}], ["app/x", {}]]) as never;
    expect(freshFolder(tree, "greenbundle-verify")).toBe("greenbundle-verify-3");
    expect(freshFolder(new Map() as never, "greenbundle-verify")).toBe("greenbundle-verify");
  });
});

describe("the image a script wrote", () => {
  it("is the newest PNG that matches verify.image", async () => {
    const root = await tempDir("gb-command-");
    await mkdir(join(root, "out", "samples"), { recursive: true });
    const png = (name: string, age: number) =>
      writeFile(join(root, "out", name), `png ${name}`).then(() => utimes(join(root, "out", name), new Date(Date.now() - age * 1000), new Date(Date.now() - age * 1000)));
    await png("samples/00000.png", 30);
    await png("samples/00001.png", 20);
    await png("grid-0000.png", 10);
    await png("samples/notes.txt", 0);
    expect((await newestMatches(root, "out/samples/*.png")).map((m) => m.path)).toEqual(["out/samples/00001.png", "out/samples/00000.png"]);
    expect((await newestMatches(root, "out/**/*.png")).map((m) => m.path)).toEqual(["out/grid-0000.png", "out/samples/00001.png", "out/samples/00000.png"]);
    const ctx = { bj: bj({ command, image: "{out}/samples/*.png" }), timeoutMs: 1, root, out: "out" };
    const a = { step: () => undefined, body: async () => undefined };
    expect(await commandApi.image(a, ctx)).toEqual({ png: Buffer.from("png samples/00001.png"), info: { file: "out/samples/00001.png", matches: 2 } });
  });

  it("is missing when the script wrote none, and the message lists what the folder holds", async () => {
    const root = await tempDir("gb-command-");
    await mkdir(join(root, "out", "samples"), { recursive: true });
    await writeFile(join(root, "out", "samples", "00000.jpg"), "jpeg");
    const ctx = { bj: bj({ command, image: "{out}/samples/*.png" }), timeoutMs: 1, root, out: "out" };
    const a = { step: () => undefined, body: async () => undefined };
    expect(await commandApi.image(a, ctx)).toEqual({ error: "the command exited 0 but wrote no PNG matching out/samples/*.png (out/ holds 1 file(s): out/samples/00000.jpg)" });
    await mkdir(join(root, "empty"));
    expect(await commandApi.image(a, { ...ctx, out: "empty" })).toEqual({ error: "the command exited 0 but wrote no PNG matching empty/samples/*.png (empty/ is empty)" });
  });
});
