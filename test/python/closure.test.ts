// Pure decisions of the lock: which file fits a pin (and why not), and the closure check with
// markers, extras that propagate, and chains from a root.
import { describe, expect, it } from "vitest";
import { checkClosure, formatProblem } from "../../src/python/closure.ts";
import { chooseWheel, gatherCandidates, versionMatches } from "../../src/python/select.ts";
import type { IndexFile } from "../../src/python/simple-index.ts";
import { makeTarget } from "../../src/python/target.ts";

const win = makeTarget("win-x64", "3.10.6");
const f = (filename: string, extra: Partial<IndexFile> = {}): IndexFile => ({ filename, url: `https://i/${filename}`, href: filename, sha256: "0".repeat(64), ...extra });
const page = (files: IndexFile[], list = "pypi") => ({ list, pageUrl: "https://i/simple/x/", files });

describe("choosing a wheel", () => {
  it("matches local versions per PEP 440", () => {
    expect(versionMatches("2.1.2+cu121", "2.1.2+cu121")).toBe(true);
    expect(versionMatches("2.1.2+cu121", "2.1.2")).toBe(true);
    expect(versionMatches("2.1.2", "2.1.2+cu121")).toBe(false);
    expect(versionMatches("1.0", "1.0.0")).toBe(true);
    expect(versionMatches("1.0rc1", "1.0rc1")).toBe(true);
  });

  it("prefers the exact version, then not yanked, then the best tag", () => {
    const files = [f("x-1.0+cpu-cp310-cp310-win_amd64.whl"), f("x-1.0-py3-none-any.whl"), f("x-1.0-cp310-cp310-win_amd64.whl", { yanked: "bad" }), f("x-1.0-cp310-abi3-win_amd64.whl")];
    const r = chooseWheel("1.0", gatherCandidates([page(files)], "x", () => undefined), [], win, "pypi", "x");
    expect(r).toMatchObject({ ok: true, choice: { candidate: { file: { filename: "x-1.0-cp310-abi3-win_amd64.whl" } }, tag: "cp310-abi3-win_amd64" } });
    const only = chooseWheel("1.0", gatherCandidates([page([files[2]!])], "x", () => undefined), [], win, "pypi", "x");
    expect(only).toMatchObject({ ok: true, choice: { warnings: ["x-1.0-cp310-cp310-win_amd64.whl is yanked: bad"] } });
  });

  it.each([
    [[f("x-1.0.tar.gz")], [], "pypi has only a source archive (x-1.0.tar.gz) for 1.0; declare wheels.packages.x.sdist to build it"],
    [[], [f("x-1.0-py3-none-any.whl", { requiresPython: ">=3.11" })], "x-1.0-py3-none-any.whl requires Python >=3.11; the target is 3.10.6"],
    [[], [f("x-1.0-cp310-cp310-win_amd64.whl", { sha256: undefined })], "pypi lists x-1.0-cp310-cp310-win_amd64.whl without a sha256, and neither the package's indexes nor the lock has one (add the index that publishes it to wheels.packages.x.indexes)"],
  ] as const)("says why nothing fits (%#)", (sdists, wheels, reason) => {
    const r = chooseWheel("1.0", gatherCandidates([page([...wheels])], "x", () => undefined), [...sdists], win, "pypi", "x");
    expect(r).toEqual({ ok: false, reason });
  });

  it("takes a find-links file's hash from the existing lock", () => {
    const flat = { ...page([f("x-1.0-cp310-cp310-win_amd64.whl", { sha256: undefined })], "cn"), flat: true };
    const r = chooseWheel("1.0", gatherCandidates([flat], "x", (n) => (n === "x-1.0-cp310-cp310-win_amd64.whl" ? "e".repeat(64) : undefined)), [], win, "cn", "x");
    expect(r).toMatchObject({ ok: true, choice: { candidate: { sha256: "e".repeat(64), flat: true, list: "cn" } } });
  });
});

describe("closure check", () => {
  const nodes = [
    { key: "webui", version: "1", requiresDist: ["gradio[oauth]==3.41.2", 'colorama; platform_system == "Windows"', "numpy<2"] },
    { key: "gradio", version: "3.41.2", requiresDist: ["httpx", 'authlib; extra == "oauth"', 'uvloop; sys_platform != "win32"'] },
    { key: "httpx", version: "0.24.1", requiresDist: ["sniffio", "idna>=2.8"] },
    { key: "idna", version: "2.5" },
    { key: "numpy", version: "1.26.2" },
  ];

  it("evaluates markers and requested extras for the target, and reports each chain from a root", () => {
    const r = checkClosure(nodes, new Map(), win.markers);
    expect(r.problems.map(formatProblem)).toEqual([
      "webui==1 → gradio==3.41.2 needs authlib; extra == \"oauth\", which the requirements do not pin",
      "webui==1 → gradio==3.41.2 → httpx==0.24.1 needs idna>=2.8, but idna==2.5 is pinned",
      "webui==1 → gradio==3.41.2 → httpx==0.24.1 needs sniffio, which the requirements do not pin",
      'webui==1 needs colorama; platform_system == "Windows", which the requirements do not pin',
    ]);
    expect(r.applied.get("gradio")).toEqual(["httpx", 'authlib; extra == "oauth"']);
  });

  it("meets a requirement on a project with the package the recipe says provides it, at that package's version", () => {
    const pins = [
      { key: "facexlib", version: "0.3.0", requiresDist: ["opencv-python", "numpy"] },
      { key: "other", version: "1", requiresDist: ["opencv-python>=5"] },
      { key: "opencv-python-headless", version: "4.9.0.80", requiresDist: ["numpy>=1.21.2"] },
      { key: "numpy", version: "1.26.2" },
    ];
    const without = checkClosure(pins, new Map(), win.markers);
    expect(without.problems.map((p) => `${p.kind} ${p.requirement}`)).toEqual(["missing opencv-python", "missing opencv-python>=5"]);
    const r = checkClosure(pins, new Map(), win.markers, new Map([["opencv-python", "opencv-python-headless"]]));
    expect(r.problems.map(formatProblem)).toEqual(["other==1 needs opencv-python>=5, but opencv-python-headless==4.9.0.80 is pinned"]);
    // the stand-in is not reported as a root: it is needed through the project it provides
    expect(r.problems[0]!.chain).toEqual(["other==1"]);
  });

  it("uses the extras written on requirement lines", () => {
    const r = checkClosure([{ key: "a", version: "1", requiresDist: ['b; extra == "x"'] }], new Map([["a", ["x"]]]), win.markers);
    expect(r.problems.map((p) => p.requirement)).toEqual(['b; extra == "x"']);
  });
});
