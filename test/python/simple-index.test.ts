// The simple repository API: parsing PEP 503 HTML / PEP 691 JSON / flat pages, and the loopback
// index serving both by content negotiation, with hashes, yanked files, PEP 658 metadata and Range.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { negotiate, startPypiServer } from "../../src/demo/pypi-server.ts";
import { makeWheel } from "../../src/demo/wheels.ts";
import { IndexClient } from "../../src/python/index-client.ts";
import { remoteWheelMetadata } from "../../src/python/remote-zip.ts";
import { readRange } from "../../src/python/net.ts";
import { parseHtmlPage, parseJsonPage, relativeToPage, SIMPLE_ACCEPT } from "../../src/python/simple-index.ts";
import { tempDir } from "../helpers/tmp.ts";
import { debianWheel } from "./world.ts";

const PAGE = "https://mirror.example/simple/torch/";

describe("parsing index pages", () => {
  it("reads PEP 503 anchors: hash fragment, requires-python (escaped), yanked, core metadata", () => {
    const html = `<!DOCTYPE html><html><body>
      <a href="../../packages/ab/cd/torch-2.1.2%2Bcu121-cp310-cp310-win_amd64.whl#sha256=${"A".repeat(64)}" data-requires-python="&gt;=3.8.0" data-core-metadata="sha256=${"b".repeat(64)}">torch-2.1.2+cu121-cp310-cp310-win_amd64.whl</a><br/>
      <A HREF='https://files.example/torch-2.0.0-cp310-cp310-win_amd64.whl' data-yanked="broken build">torch-2.0.0-cp310-cp310-win_amd64.whl</A>
      <a href="torch-1.0.tar.gz" data-yanked data-dist-info-metadata="true">torch-1.0.tar.gz</a>
    </body></html>`;
    expect(parseHtmlPage(html, PAGE)).toEqual([
      {
        filename: "torch-2.1.2+cu121-cp310-cp310-win_amd64.whl", url: "https://mirror.example/packages/ab/cd/torch-2.1.2%2Bcu121-cp310-cp310-win_amd64.whl",
        href: "../../packages/ab/cd/torch-2.1.2%2Bcu121-cp310-cp310-win_amd64.whl", sha256: "a".repeat(64), requiresPython: ">=3.8.0", metadata: { sha256: "b".repeat(64) },
      },
      { filename: "torch-2.0.0-cp310-cp310-win_amd64.whl", url: "https://files.example/torch-2.0.0-cp310-cp310-win_amd64.whl", href: "https://files.example/torch-2.0.0-cp310-cp310-win_amd64.whl", yanked: "broken build" },
      { filename: "torch-1.0.tar.gz", url: "https://mirror.example/simple/torch/torch-1.0.tar.gz", href: "torch-1.0.tar.gz", yanked: true, metadata: {} },
    ]);
  });

  it("reads PEP 691 JSON with relative URLs, sizes and metadata objects", () => {
    const json = JSON.stringify({
      meta: { "api-version": "1.1" },
      name: "torch",
      files: [{ filename: "t-1-py3-none-any.whl", url: "../../p/t-1-py3-none-any.whl", hashes: { sha256: "C".repeat(64) }, "requires-python": ">=3.8", yanked: false, size: 12, "core-metadata": { sha256: "d".repeat(64) } }],
    });
    expect(parseJsonPage(json, PAGE)).toEqual([
      { filename: "t-1-py3-none-any.whl", url: "https://mirror.example/p/t-1-py3-none-any.whl", href: "../../p/t-1-py3-none-any.whl", sha256: "c".repeat(64), requiresPython: ">=3.8", size: 12, metadata: { sha256: "d".repeat(64) } },
    ]);
  });

  it("writes lock paths relative to the project page on the same host, absolute elsewhere", () => {
    expect(relativeToPage(PAGE, "https://mirror.example/packages/ab/x.whl")).toBe("../../packages/ab/x.whl");
    expect(relativeToPage(PAGE, "https://mirror.example/simple/torch/x.whl")).toBe("x.whl");
    expect(relativeToPage(PAGE, "https://files.pythonhosted.org/packages/ab/x.whl")).toBe("https://files.pythonhosted.org/packages/ab/x.whl");
  });

  it("negotiates the format per PEP 691", () => {
    expect(negotiate(SIMPLE_ACCEPT, ["html", "json"])).toBe("json");
    expect(negotiate(SIMPLE_ACCEPT, ["html"])).toBe("html");
    expect(negotiate("text/html", ["json"])).toBeUndefined();
    expect(negotiate(undefined, ["html", "json"])).toBe("html");
  });
});

describe("the loopback index", () => {
  it("serves HTML or JSON by the Accept header, redirects unnormalised names, and a flat page without hashes", async () => {
    const w = await makeWheel({ name: "My_Pkg", version: "1.0" });
    const s = await startPypiServer({ files: [{ filename: w.filename, data: w.data, requiresPython: ">=3.8", yanked: "oops" }], metadata: true });
    try {
      const json = await fetch(`${s.simple}/my-pkg/`, { headers: { accept: SIMPLE_ACCEPT } });
      expect(json.headers.get("content-type")).toBe("application/vnd.pypi.simple.v1+json");
      const files = parseJsonPage(await json.text(), `${s.simple}/my-pkg/`);
      expect(files[0]).toMatchObject({ filename: w.filename, sha256: w.sha256, requiresPython: ">=3.8", yanked: "oops", size: w.size });
      const html = await fetch(`${s.simple}/my-pkg/`);
      expect(html.headers.get("content-type")).toBe("text/html");
      expect(parseHtmlPage(await html.text(), `${s.simple}/my-pkg/`)[0]).toMatchObject({ url: files[0]!.url, sha256: w.sha256, yanked: "oops" });
      const redirect = await fetch(`${s.simple}/My_Pkg/`, { redirect: "manual" });
      expect([redirect.status, redirect.headers.get("location")]).toEqual([301, "/simple/my-pkg/"]);
      expect(await (await fetch(`${files[0]!.url}.metadata`)).text()).toBe(w.metadata);
      const flat = parseHtmlPage(await (await fetch(`${s.flat}/`)).text(), `${s.flat}/`);
      expect(flat).toEqual([{ filename: w.filename, url: `${s.flat}/${w.filename}`, href: w.filename }]);
      expect((await fetch(`${s.simple}/nothing/`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it("lets the client read a real wheel's METADATA with ranged reads only", async () => {
    const pip = debianWheel("pip");
    const data = await readFile(pip.path);
    const s = await startPypiServer({ files: [{ filename: pip.filename, data }] });
    try {
      const client = new IndexClient({ pypi: [s.simple] }, { cacheDir: await tempDir() });
      const page = (await client.project("pypi", "pip"))!;
      expect(page.format).toBe("json");
      const md = await client.metadata(page.files[0]!, page.files[0]!.sha256!, [page.files[0]!.url], "wheel:pip");
      expect(md).toMatchObject({ via: "range", size: data.length });
      expect(md.text).toMatch(new RegExp(`^Metadata-Version: [\\d.]+\nName: pip\nVersion: ${pip.version.replace(/\./g, "\\.")}\n`));
      const served = s.requests.filter((r) => r.path.endsWith(".whl"));
      expect(served.every((r) => r.status === 206)).toBe(true);
      expect(served.length).toBeLessThanOrEqual(3);
      expect(await remoteWheelMetadata((a, b) => readRange(page.files[0]!.url, a, b))).toEqual({ text: md.text, size: data.length });
      expect(await client.project("pypi", "absent")).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});
