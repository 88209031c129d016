// bundle.json as one contract: what the builder serialises is what the launcher and the verifier
// accept, a damaged file is refused with the key path at fault, an unknown format is refused as
// such, and the launcher's two-part reading never depends on the order of the keys.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { BundleJsonError, checkBundleJson, parseBundleJson, readBundleJson, serializeBundleJson, type BundleJson } from "../../src/contract/bundle-json.ts";

const HEX = "0".repeat(64);

function doc(): BundleJson {
  return {
    format: 1,
    name: "demo",
    version: "1.0.0-r1",
    title: "Demo 整合包",
    platform: "linux-x64",
    builder: { name: "greenbundle", version: "0.1.0" },
    components: [
      { kind: "repo", name: "app", commit: "a".repeat(40), dest: "app" },
      { kind: "python", name: "python", version: "3.10.6", url: "https://x/p.tar.gz", sha256: HEX, size: 10, dest: "python" },
    ],
    launcher: {
      name: "launcher",
      title: "Demo 整合包",
      version: "1.0.0-r1",
      cwd: "app",
      command: ["{python}", "app.py", "--port", "{port}"],
      port: 7860,
      ready: "/sdapi/v1/sd-models",
      env: { HF_HUB_OFFLINE: "1" },
      gpu: { cpu: ["--use-cpu", "all"], vram: [{ below_gb: 6, args: ["--medvram"] }] },
      python: "python/bin/python3",
      git: null,
      repos: ["app"],
    },
    verify: { api: "a1111", txt2img: { prompt: "a cat" }, timeout: 900, allow_changes: ["logs/**"] },
    files: [
      { path: "app/app.py", size: 3, sha256: HEX },
      { path: "python/bin/python3", size: 5, sha256: HEX, exec: true },
    ],
  };
}

function refusal(fn: () => unknown): BundleJsonError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BundleJsonError) return e;
    throw e;
  }
  throw new Error("accepted");
}

describe("bundle.json written by the builder", () => {
  it("is read back whole by the verifier and in two parts by the launcher, to the same values", () => {
    const text = serializeBundleJson({ ...doc(), files: [...doc().files, { path: "app/pages/[id]/x].py", size: 1, sha256: HEX }] });
    const whole = parseBundleJson(text);
    const reading = readBundleJson(Buffer.from(text));
    expect(reading.head).toEqual(Object.fromEntries(Object.entries(whole).filter(([k]) => k !== "files")));
    expect(reading.files()).toEqual(whole.files);
    expect(whole.components.map((c) => c.kind)).toEqual(["python", "repo"]);
  });

  it("is checked before the manifest is parsed, and the manifest only when it is asked for", () => {
    const text = serializeBundleJson(doc()).replace(`"size": 5`, `"size": -5`);
    const reading = readBundleJson(Buffer.from(text));
    expect(reading.head.launcher.port).toBe(7860);
    expect(() => reading.files()).toThrow("bundle.json: files[1].size: expected a whole number of at least 0, got -5");
    expect(() => parseBundleJson(text)).toThrow(/files\[1\]\.size/);
  });
});

describe("bundle.json's gpu facts", () => {
  const gpu = { torch: "2.1.2+cu121", archs: ["sm_50", "sm_86", "sm_90"], min_driver: { linux: "525.60.13", win: "528.33" }, cuda: "12.1" };

  it("are written in a fixed key order before the manifest, and read back in the head the launcher reads first", () => {
    const text = serializeBundleJson({ ...doc(), gpu });
    expect(text).toContain('"gpu": {\n    "cuda": "12.1",\n    "min_driver": {\n      "win": "528.33",\n      "linux": "525.60.13"\n    },\n    "archs": [');
    expect(text.indexOf('"gpu"')).toBeLessThan(text.indexOf('"files"'));
    expect(readBundleJson(Buffer.from(text)).head.gpu).toEqual({ cuda: "12.1", min_driver: { win: "528.33", linux: "525.60.13" }, archs: ["sm_50", "sm_86", "sm_90"], torch: "2.1.2+cu121" });
    expect(parseBundleJson(serializeBundleJson(doc())).gpu).toBeUndefined();
  });

  it.each([
    [(g: any) => (g.cuda = "cu121"), 'gpu.cuda: expected a CUDA version such as 12.1, got "cu121"'],
    [(g: any) => (g.min_driver.win = "new"), 'gpu.min_driver.win: expected a driver version such as 528.33, got "new"'],
    [(g: any) => (g.archs = ["8.6"]), 'gpu.archs[0]: expected sm_<NN> or compute_<NN>, got "8.6"'],
    [(g: any) => delete g.archs, "gpu.archs: missing"],
  ])("are refused with the key at fault when damaged (%#)", (spoil, message) => {
    const g = structuredClone(gpu);
    spoil(g);
    const raw = JSON.parse(serializeBundleJson(doc()));
    raw.gpu = g;
    expect(refusal(() => checkBundleJson(raw)).message).toBe(`bundle.json: ${message}`);
  });
});

describe("a bundle.json laid out another way", () => {
  it("reads keys that come after the manifest (the head alone would miss them)", () => {
    const { verify, files, ...rest } = doc();
    const text = JSON.stringify({ ...rest, files, verify: { ...verify, allow_changes: ["late/**"] } }, null, 2);
    const reading = readBundleJson(Buffer.from(text));
    expect(reading.head.verify?.allow_changes).toEqual(["late/**"]);
    expect(reading.files()).toEqual(files);
  });

  it("reads a file on one line", () => {
    const reading = readBundleJson(Buffer.from(JSON.stringify(doc())));
    expect(reading.head.launcher.command[0]).toBe("{python}");
    expect(reading.files()).toHaveLength(2);
  });

  it("reads a key written after an empty manifest on the same line", () => {
    const text = serializeBundleJson({ ...doc(), files: [] }).replace('"files": []\n}', '"files": [], "extra": [\n1\n]\n}');
    expect((readBundleJson(Buffer.from(text)).head as unknown as { extra: unknown }).extra).toEqual([1]);
  });

  it("refuses the manifest when a top-level key hides after it where the quick reading cannot see it", () => {
    const { files, ...rest } = doc();
    const text = JSON.stringify(rest, null, 2).replace(/\n\}$/, `,\n  "files": ${JSON.stringify(files)}, "extra": [\n  ]\n}\n`);
    const reading = readBundleJson(Buffer.from(text));
    expect(reading.head.verify?.api).toBe("a1111");
    expect(() => reading.files()).toThrow("bundle.json: extra: comes after files, where the launcher does not look");
  });
});

describe("a bundle.json that is not one this greenbundle wrote", () => {
  it.each([
    ["format 2", { format: 2 }, "format: 2 is not a format this program reads (it reads format 1)"],
    ["no format", { name: "x" }, "format: missing (it reads format 1)"],
    ["a JSON array", [1], "format: missing (it reads format 1)"],
  ])("refuses %s as a format it does not read, before anything else", (_, value, message) => {
    const e = refusal(() => checkBundleJson(value));
    expect(e.kind).toBe("format");
    expect(e.message).toBe(`bundle.json: ${message}`);
    expect(refusal(() => readBundleJson(Buffer.from(JSON.stringify(value)))).kind).toBe("format");
  });

  it("says it is not JSON", () => {
    const e = refusal(() => readBundleJson(Buffer.from('{"format": 1,')));
    expect(e.kind).toBe("syntax");
    expect(e.message).toMatch(/^bundle\.json: not valid JSON \(/);
  });

  it.each([
    ["launcher.port", (d: any) => (d.launcher.port = "x"), 'launcher.port: expected a port number (1-65535), got "x"'],
    ["launcher.git", (d: any) => (d.launcher.git = "/usr/bin/git"), 'launcher.git: expected a relative path inside the bundle, or null, got "/usr/bin/git"'],
    ["launcher.command", (d: any) => (d.launcher.command = []), "launcher.command: expected a non-empty list of strings, got []"],
    ["launcher.env", (d: any) => (d.launcher.env.X = 1), "launcher.env.X: expected a string, got 1"],
    ["launcher.gpu.vram", (d: any) => (d.launcher.gpu.vram[0].args = "--medvram"), 'launcher.gpu.vram[0].args: expected a list of strings, got "--medvram"'],
    // the repo is written after python: components are sorted by kind
    ["components[1].dest", (d: any) => (d.components[0].dest = "../outside"), 'components[1].dest: expected a relative path inside the bundle, got "../outside"'],
    ["files[0].path", (d: any) => (d.files[0].path = "app//x.py"), 'files[0].path: expected a relative path inside the bundle, got "app//x.py"'],
    ["files[1].sha256", (d: any) => (d.files[1].sha256 = "ABC"), 'files[1].sha256: expected 64 lowercase hex digits, got "ABC"'],
    ["name", (d: any) => (d.name = "../../x"), 'name: expected letters, digits and . _ + - only, got "../../x"'],
    ["platform", (d: any) => (d.platform = "amiga-m68k"), 'platform: expected a platform greenbundle builds for, got "amiga-m68k"'],
    ["verify.timeout", (d: any) => (d.verify.timeout = 0), "verify.timeout: expected a positive number of seconds, got 0"],
    ["builder", (d: any) => delete d.builder, "builder: missing"],
  ])("names %s when it is wrong", (_, spoil, message) => {
    const d = doc();
    spoil(d);
    const text = serializeBundleJson(d);
    expect(refusal(() => parseBundleJson(text)).message).toBe(`bundle.json: ${message}`);
    const viaLauncher = refusal(() => {
      const r = readBundleJson(Buffer.from(text));
      r.files();
    });
    expect(viaLauncher.message).toBe(`bundle.json: ${message}`);
  });

  it("counts every problem and lists the first ones", () => {
    const d: any = doc();
    d.files = Array.from({ length: 120 }, (_, i) => ({ path: `f${i}`, size: 1, sha256: "x" }));
    const e = refusal(() => checkBundleJson(d));
    expect(e.count).toBe(120);
    expect(e.problems).toHaveLength(50);
    expect(e.message).toBe('bundle.json: files[0].sha256: expected 64 lowercase hex digits, got "x" (and 119 more problem(s))');
  });

  it("accepts a verify block's keys it does not know (each verify API reads its own)", () => {
    const d: any = doc();
    d.verify = { ...d.verify, api: "comfyui", checkpoint: "v1-5.safetensors" };
    expect(checkBundleJson(d).verify?.checkpoint).toBe("v1-5.safetensors");
  });
});

describe("the launcher's copy of the contract", () => {
  const src = resolve(import.meta.dirname, "../../src");

  /** The modules a file loads at run time (type-only imports are erased). */
  function runtimeImports(file: string): string[] {
    const text = readFileSync(file, "utf8");
    const out: string[] = [];
    for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^"';]*?\sfrom\s+)?"([^"]+)";/gm)) {
      if (!m[1] && m[2]!.startsWith(".")) out.push(resolve(dirname(file), m[2]!));
    }
    return out;
  }

  it("is all the launcher loads from outside its runtime folder, so it stays small", () => {
    const seen = new Set<string>();
    const todo = readdirSync(join(src, "launcher/runtime")).filter((f) => f.endsWith(".ts")).map((f) => join(src, "launcher/runtime", f));
    while (todo.length > 0) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      todo.push(...runtimeImports(f));
    }
    const outside = [...seen].map((f) => relative(src, f)).filter((f) => !f.startsWith("launcher/runtime/")).sort();
    // update-json.ts: what launcher --update reads (its code is loaded only for updates)
    expect(outside).toEqual(["contract/bundle-json-check.ts", "contract/bundle-json.ts", "contract/update-json.ts", "core/platform.ts"]);
  });
});
