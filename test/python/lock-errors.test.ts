// bundle lock when the index misbehaves or the old lock is damaged: the error says which URL did
// what and gives the hint that fits the failure (a dead mirror is not fixed by editing pins).
import { createHash } from "node:crypto";
import { createServer, type RequestListener } from "node:http";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collector } from "../../src/core/events.ts";
import { makeWheel } from "../../src/demo/wheels.ts";
import { lockRecipe } from "../../src/lock/lock.ts";
import { loadRecipe } from "../../src/recipe/load.ts";
import { tempDir } from "../helpers/tmp.ts";
import { fileServer, indexOf, MINGIT, NODE_LINUX, NODE_WIN, writeRecipe } from "./world.ts";
import { bundleFailure } from "../helpers/failure.ts";

let files: Awaited<ReturnType<typeof fileServer>>;
beforeAll(async () => {
  files = await fileServer({ "python-embed.zip": Buffer.from("embed"), "python-linux.tar.gz": Buffer.from("pbs"), "node-win.zip": NODE_WIN, "node-linux.tar.gz": NODE_LINUX, "mingit.zip": MINGIT });
});

async function serve(handler: RequestListener): Promise<string> {
  const s = createServer(handler);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  afterAll(() => s.close());
  return `http://127.0.0.1:${(s.address() as { port: number }).port}/simple`;
}

async function lockAgainst(simple: string, requirements = ["demo-pkg==1.0"]) {
  const recipe = await writeRecipe({ mirrors: { pypi: [simple] }, requirements, files, platforms: ["linux-x64"] });
  const c = collector();
  const loaded = await loadRecipe(recipe);
  return { recipe, events: c.events, run: () => lockRecipe({ loaded, cacheDir: join(dirname(recipe), "cache"), emit: c.emit }) };
}

const failure = (p: Promise<unknown>) => bundleFailure(p, "bundle lock");

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("bundle lock against a misbehaving index", () => {
  it("fails as a network error with the network hint when every mirror answers 500", async () => {
    const simple = await serve((_q, r) => {
      r.statusCode = 500;
      r.end();
    });
    const e = await failure((await lockAgainst(simple)).run());
    expect(e.code).toBe("NETWORK");
    expect(e.message).toContain(`${simple}/demo-pkg/: HTTP 500`);
    expect(e.hint).toMatch(/^check the network or proxy/);
    expect(e.hint).not.toContain("fix the pins");
  });

  it("names the project URLs it asked when no mirror has the project", async () => {
    const simple = await serve((_q, r) => {
      r.statusCode = 404;
      r.end();
    });
    const e = await failure((await lockAgainst(simple)).run());
    expect(e.code).toBe("RESOLVE");
    expect(e.message).toContain(`no mirror of pypi has a project "demo-pkg" (not found at ${simple}/demo-pkg/)`);
  });

  it("says which entry of a PEP 691 page has the wrong types instead of crashing on it", async () => {
    const simple = await serve((_q, r) => {
      r.setHeader("content-type", "application/vnd.pypi.simple.v1+json");
      r.end(JSON.stringify({ meta: { "api-version": "1.0" }, name: "demo-pkg", files: [{ filename: 7, url: null, hashes: "x" }] }));
    });
    const e = await failure((await lockAgainst(simple)).run());
    expect(e.message).toContain(`${simple}/demo-pkg/ is not a simple-API page (files[0] has no filename string)`);
    expect(e.hint).toMatch(/check mirror list "pypi"/);
  });

  it("calls a wheel without METADATA broken, with its URL", async () => {
    const yazl = await import("yazl");
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from("X = 1\n"), "demo_pkg/__init__.py");
    zip.end();
    const parts: Buffer[] = [];
    for await (const c of zip.outputStream) parts.push(c as Buffer);
    const wheel = Buffer.concat(parts);
    const name = "demo_pkg-1.0-py3-none-any.whl";
    const simple = await serve((q, r) => {
      if (q.url === "/simple/demo-pkg/") r.end(`<a href="${name}#sha256=${sha(wheel)}">${name}</a>`);
      else r.end(wheel);
    });
    const e = await failure((await lockAgainst(simple)).run());
    expect(e.code).toBe("ARCHIVE");
    expect(e.message).toContain(`(${simple}/demo-pkg/${name}): the wheel has 0 .dist-info/METADATA files (one expected)`);
    expect(e.hint).toMatch(/^the wheel is broken or not a wheel/);
  });

  it("says the index page's hash did not match the wheel, and that retrying cannot help", async () => {
    const w = await makeWheel({ name: "demo-pkg", version: "1.0", files: { "demo_pkg/__init__.py": "X = 1\n" } });
    const simple = await serve((q, r) => {
      if (q.url === "/simple/demo-pkg/") r.end(`<a href="${w.filename}#sha256=${"0".repeat(64)}">${w.filename}</a>`);
      else r.end(w.data);
    });
    const e = await failure((await lockAgainst(simple)).run());
    expect(e.code).toBe("INTEGRITY");
    expect(e.message).toContain(`sha256 mismatch: expected ${"0".repeat(64)}, got ${w.sha256}`);
    expect(e.hint).toMatch(/from the recipe, the lock or the index page/);
  });
});

describe("bundle lock over a damaged lock", () => {
  it("writes a fresh lock in its place and warns, instead of asking to run bundle lock again", async () => {
    const index = await indexOf([{ name: "demo-pkg", version: "1.0" }]);
    const w = await lockAgainst(index.simple);
    const lockFile = join(dirname(w.recipe), "recipe.lock.json");
    await writeFile(lockFile, '{"lock": 1, "platforms": {"linux-x64": {"wheels": "oops"}}}');
    const report = await w.run();
    expect(report.changed).toBe(true);
    expect(JSON.parse(await readFile(lockFile, "utf8"))).toMatchObject({ lock: 1, platforms: { "linux-x64": { wheels: [{ name: "demo-pkg" }] } } });
    expect(w.events.some((e) => e.type === "warning" && /is damaged: .*; writing a fresh lock in its place/.test(e.message))).toBe(true);
  });
});

describe("bundle lock with a lock file that cannot be written", () => {
  it("says so before resolving anything", async () => {
    const index = await indexOf([{ name: "demo-pkg", version: "1.0" }]);
    const w = await lockAgainst(index.simple);
    const blocker = join(dirname(w.recipe), "not-a-folder");
    await writeFile(blocker, "a file");
    const recipe = JSON.parse(await readFile(w.recipe, "utf8")) as { wheels: { lock: string } };
    recipe.wheels.lock = "not-a-folder/recipe.lock.json";
    await writeFile(w.recipe, JSON.stringify(recipe));
    const loaded = await loadRecipe(w.recipe);
    const e = await failure(lockRecipe({ loaded, cacheDir: join(dirname(w.recipe), "cache") }));
    expect(e.code).toBe("IO");
    expect(e.message).toBe(`cannot write the folder of the lock file ${blocker}: it (or a folder above it) is a file`);
    expect(index.requests.length).toBe(0);
  });
});
