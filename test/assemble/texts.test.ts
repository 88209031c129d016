import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveLauncherConfig } from "../../src/assemble/bundle-json.ts";
import { serializeBundleJson, type BundleJson } from "../../src/contract/bundle-json.ts";
import { detectLicense, metadataLicense, renderNotices, wheelNotices } from "../../src/assemble/notices.ts";
import { forPlatform, renderReadme, renderTemplate } from "../../src/assemble/templates.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("templates", () => {
  it("keeps lines tagged for the target platform only, and fills placeholders", () => {
    const t = "A {{title}}\n[win-x64]W {{launcher}}\n[linux-x64]L {{launcher}}\n{{unknown}}";
    expect(renderTemplate(t, { title: "T", launcher: "launcher.exe" }, "win-x64")).toBe("A T\nW launcher.exe\n{{unknown}}");
    expect(renderTemplate(t, { title: "T", launcher: "launcher" }, "linux-x64")).toBe("A T\nL launcher\n{{unknown}}");
  });

  it("writes Windows texts with CRLF and a BOM, Linux texts with LF", () => {
    expect(forPlatform("a\nb\r\n", "win-x64")).toBe("\ufeffa\r\nb\r\n");
    expect(forPlatform("a\r\nb\n", "linux-x64")).toBe("a\nb\n");
  });

  it("renders the end-user README in Chinese first, then English, for each platform", async () => {
    const win = await renderReadme({ title: "SD 整合包", version: "1.0", platform: "win-x64", launcher: "launcher.exe", bundle: "sd-1.0-win-x64" });
    expect(win.startsWith("\ufeffSD 整合包")).toBe(true);
    expect(win.indexOf("如何启动")).toBeLessThan(win.indexOf("How to start"));
    expect(win).toContain("双击 launcher.exe");
    expect(win).toContain("logs");
    expect(win).toContain("Git is included");
    expect(win).not.toContain("{{");
    const linux = await renderReadme({ title: "SD", version: "1.0", platform: "linux-x64", launcher: "launcher", bundle: "sd-1.0-linux-x64" });
    expect(linux).toContain("uses the system's git");
    expect(linux).toContain("./launcher");
    expect(linux).not.toContain("\r\n");
  });
});

describe("licences and notices", () => {
  it("recognises common licence texts", () => {
    expect(detectLicense("GNU AFFERO GENERAL PUBLIC LICENSE\n Version 3, 19 November 2007")).toBe("AGPL-3.0");
    expect(detectLicense("MIT License\n\nPermission is hereby granted, free of charge, to any person")).toBe("MIT");
    expect(detectLicense("Apache License\n Version 2.0, January 2004")).toBe("Apache-2.0");
    expect(detectLicense("Redistribution and use in source and binary forms ... Neither the name")).toBe("BSD-3-Clause");
    expect(detectLicense("all rights reserved")).toBeUndefined();
  });

  it("takes a wheel's licence from License-Expression, a short License field, or classifiers", () => {
    expect(metadataLicense("Name: a\nLicense-Expression: MIT OR Apache-2.0\n\nbody")).toBe("MIT OR Apache-2.0");
    expect(metadataLicense("Name: a\nLicense: BSD\n")).toBe("BSD");
    expect(metadataLicense("Name: a\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n")).toBe("MIT License");
  });

  it("gathers every dist-info's licence files, PEP 639 licenses/ included", async () => {
    const site = await tempDir();
    const di = join(site, "demo_pkg-1.0.dist-info");
    await mkdir(join(di, "licenses", "sub"), { recursive: true });
    await writeFile(join(di, "METADATA"), "Metadata-Version: 2.4\nName: demo_pkg\nVersion: 1.0\nLicense-Expression: MIT\n\n");
    await writeFile(join(di, "LICENSE.txt"), "MIT License\n");
    await writeFile(join(di, "licenses", "sub", "NOTICE"), "notice text\n");
    await writeFile(join(di, "RECORD"), "");
    const got = await wheelNotices(site, "python/Lib/site-packages");
    const s = got.get("demo-pkg")!;
    expect(s.license).toBe("MIT");
    expect(s.files.map((f) => f.label)).toEqual(["python/Lib/site-packages/demo_pkg-1.0.dist-info/LICENSE.txt", "python/Lib/site-packages/demo_pkg-1.0.dist-info/licenses/sub/NOTICE"]);
    const text = renderNotices("HEADER", [s]);
    expect(text).toContain("wheel demo_pkg 1.0 — MIT");
    expect(text).toContain("notice text");
  });
});

describe("bundle.json", () => {
  it("resolves the launcher config from the recipe and target", () => {
    const cfg = resolveLauncherConfig({
      recipe: {
        name: "x",
        version: "1",
        mirrors: { pypi: ["https://a/simple", "https://b/simple"] },
        wheels: { indexes: ["pypi"] },
        launcher: { name: "launcher", command: ["{python}", "app.py"], port: 7860, ready: "/", env: { B: "2", A: "1" } },
      },
      platform: "win-x64",
      python: "python/python.exe",
      hasGit: true,
      repos: ["webui/repositories/b", "webui"],
    });
    expect(cfg).toMatchObject({ title: "x", cwd: "", git: "git/cmd/git.exe", pipIndexUrl: "https://a/simple", repos: ["webui", "webui/repositories/b"] });
    expect(Object.keys(cfg.env)).toEqual(["A", "B"]);
  });

  it("serialises with components and files in a stable order", () => {
    const b: BundleJson = {
      format: 1, name: "x", version: "1", title: "X", platform: "linux-x64",
      builder: { name: "greenbundle", version: "0" },
      components: [
        { kind: "file", name: "m", dest: "m", sha256: "a", size: 1, url: "u" },
        { dest: "python", kind: "python", name: "python", version: "3.10.6" },
      ],
      launcher: resolveLauncherConfig({ recipe: { name: "x", version: "1", mirrors: {}, launcher: { name: "l", command: ["a"], port: 1, ready: "/" } }, platform: "linux-x64", python: "python/bin/python3", hasGit: false, repos: [] }),
      files: [{ path: "b", size: 1, sha256: "x" }, { path: "B", size: 1, sha256: "y" }],
    };
    const text = serializeBundleJson(b);
    const back = JSON.parse(text) as BundleJson;
    expect(back.components.map((c) => c.kind)).toEqual(["python", "file"]);
    expect(Object.keys(back.components[1]!)).toEqual(["kind", "name", "url", "sha256", "size", "dest"]);
    expect(back.files.map((f) => f.path)).toEqual(["B", "b"]);
    expect(back.launcher.git).toBeNull();
  });
});
